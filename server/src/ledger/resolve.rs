//! Supervisors settle conflicts before approval.

use record_schema::Record;

use super::LedgerError;
use super::store::{ATTEMPTS, heads_hex, load_record};
use crate::cache::DocCache;
use crate::db::{Db, TokenGrant};
use crate::docstore::{self, DocStoreError};

/// A supervisor settles one conflict of a record (`field` as `GET /v1/records/{id}` lists it,
/// `choice` an index into its values) on the version they read (`heads`, which must still be the
/// current one). The change is the server's, signed with the supervisor's name in its message, and
/// reaches phones by sync. Returns the new heads and the conflicts left.
pub async fn resolve(
    db: &Db,
    cache: &DocCache,
    who: &TokenGrant,
    record_id: &str,
    heads: &[String],
    field: &str,
    choice: usize,
) -> Result<(Vec<String>, Vec<record_schema::conflicts::FieldConflict>), LedgerError> {
    let mut given = heads.to_vec();
    given.sort();
    for _ in 0..ATTEMPTS {
        let mut stored = load_record(db, cache, &who.project_id, record_id).await?;
        if heads_hex(&stored.doc.get_heads()) != given {
            cache.put(stored);
            return Err(LedgerError::State("heads", "the record changed since you read it; read it again".into()));
        }
        let settled = record_schema::conflicts::resolve_conflict(&mut stored.doc, field, choice)
            .map_err(|e| LedgerError::BadInput("field", e.to_string()))
            .and_then(|()| Ok(Record::read(&stored.doc)?));
        if let Err(e) = settled {
            cache.forget(record_id); // `stored` is dropped: nothing half-done stays in memory
            return Err(e);
        }
        let message = format!("conflict on {field} resolved by {} ({})", who.device_name, who.role);
        stored.doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(message)
                .with_time(record_schema::now_ms() / 1000),
        );
        match docstore::save(db, &mut stored).await {
            Ok(_) => {
                let heads = heads_hex(&stored.doc.get_heads());
                let left = record_schema::conflicts::find_conflicts(&stored.doc);
                cache.put(stored);
                return Ok((heads, left?));
            }
            Err(DocStoreError::VersionConflict { .. }) => continue, // a phone's sync got in first: look again
            Err(e) => return Err(e.into()),
        }
    }
    Err(LedgerError::Busy)
}
