//! Supervisors settle conflicts before approval.

use record_schema::Record;

use super::LedgerError;
use super::store::{ATTEMPTS, heads_hex, load_record};
use crate::cache::DocCache;
use crate::db::{Db, TokenGrant};
use crate::docstore::{self, DocStoreError};

/// A supervisor settles one conflict of a record (`field` as `GET /v1/records/{id}` lists it,
/// `choice` an index into its values) on the version they read: `resolve_all` of one field.
pub async fn resolve(
    db: &Db,
    cache: &DocCache,
    who: &TokenGrant,
    record_id: &str,
    heads: &[String],
    field: &str,
    choice: usize,
) -> Result<(Vec<String>, Vec<record_schema::conflicts::FieldConflict>), LedgerError> {
    resolve_all(db, cache, who, record_id, heads, &[(field.to_string(), choice)]).await
}

/// The message of the server's resolving change, in the format every record change carries
/// (summary, blank line, `Author:` and `Device:` trailers): the supervisor's name, device `server`.
fn message(fields: &[(String, usize)], who: &TokenGrant) -> String {
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    let summary = format!("conflict on {} resolved by {} ({})", names.join(" & "), who.device_name, who.role);
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    format!("{}\n\nAuthor: {}\nDevice: server", one_line(&summary), one_line(&who.device_name))
}

/// A supervisor settles several conflicts of a record at once (each `(field, choice)` as
/// `resolve` takes them) on the version they read (`heads`, which must still be the current one),
/// in one Automerge change: all of them or none. The change is the server's, signed with the
/// supervisor's name in its message, and reaches phones by sync. Returns the new heads and the
/// conflicts left.
pub async fn resolve_all(
    db: &Db,
    cache: &DocCache,
    who: &TokenGrant,
    record_id: &str,
    heads: &[String],
    choices: &[(String, usize)],
) -> Result<(Vec<String>, Vec<record_schema::conflicts::FieldConflict>), LedgerError> {
    if choices.is_empty() {
        return Err(LedgerError::BadInput("field", "choose a value for at least one conflicting field".into()));
    }
    let mut given = heads.to_vec();
    given.sort();
    for _ in 0..ATTEMPTS {
        let mut stored = load_record(db, cache, &who.project_id, record_id).await?;
        if heads_hex(&stored.doc.get_heads()) != given {
            cache.put(stored);
            return Err(LedgerError::State("heads", "the record changed since you read it; read it again".into()));
        }
        // Every choice is read against the version shown (its conflicts' values), then written.
        let listed = record_schema::conflicts::find_conflicts(&stored.doc);
        let settled = listed.map_err(LedgerError::from).and_then(|listed| {
            for (field, choice) in choices {
                let conflict = listed.iter().find(|c| &c.path == field);
                let value = conflict
                    .and_then(|c| c.values.get(*choice))
                    .ok_or_else(|| LedgerError::BadInput("field", format!("{field}: no such conflict or choice")))?;
                resolve_value(&mut stored.doc, field, value)?;
            }
            Ok(Record::read(&stored.doc)?)
        });
        let record = match settled {
            Ok(r) => r,
            Err(e) => {
                cache.forget(record_id); // `stored` is dropped: nothing half-done stays in memory
                return Err(e);
            }
        };
        stored.doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(message(choices, who))
                .with_time(record_schema::now_ms() / 1000),
        );
        // New heads, so no approval is of them; a settled field may be the site or the date.
        let facts = crate::scope_facts::RecordFacts::after_sync(&record, &stored.doc, None);
        match docstore::save_with_facts(db, &mut stored, Some(facts)).await {
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

/// Keeps `value` (as listed) at `field`: its index among the field's values now, in this
/// transaction (an earlier field's resolution does not move another field's values).
fn resolve_value(doc: &mut automerge::AutoCommit, field: &str, value: &str) -> Result<(), LedgerError> {
    let now = record_schema::conflicts::find_conflicts(doc)?;
    let index = now
        .iter()
        .find(|c| c.path == field)
        .and_then(|c| c.values.iter().position(|v| v == value))
        .ok_or_else(|| LedgerError::BadInput("field", format!("{field}: no such conflict or choice")))?;
    record_schema::conflicts::resolve_conflict(doc, field, index)
        .map_err(|e| LedgerError::BadInput("field", format!("{field}: {e}")))
}
