//! Several supervisors approving different versions of one record at the same moment, on SQLite
//! and PostgreSQL: decisions are serialised per record, every approval reverses exactly the one it
//! replaced, and the ledger nets to the last approval's version.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use automerge::AutoCommit;
use common::records::labour_sheet;
use record_schema::{CrewLine, DecisionStatus, Effort, LabourSheet, Record};
use rust_decimal::Decimal;
use server::auth::Role;
use server::cache::DocCache;
use server::db::{Db, TokenGrant};
use server::docstore;
use server::ledger::postings::postings;
use server::ledger::store::{self, DecideRequest, heads_hex};

const ID: &str = "sheet-c";
const VERSIONS: i64 = 6;

fn sheet(headcount: i64) -> LabourSheet {
    labour_sheet(
        ID,
        ["a", "b"]
            .iter()
            .enumerate()
            .map(|(i, id)| CrewLine {
                id: (*id).into(),
                position: i as i64,
                trade: "杂工".into(),
                crew: None,
                headcount: headcount + i as i64,
                effort: Effort::Days(Decimal::ONE),
                rate: Decimal::new(31_050, 2),
                rate_unit: record_schema::TimeUnit::Day,
                hours_per_day: Decimal::from(8),
                cost_code: "01-100".into(),
                activity: None,
                note: None,
                workers: vec![],
            })
            .collect(),
    )
}

async fn story(db: Db) {
    // One record with several versions on the server.
    let mut doc = AutoCommit::new();
    sheet(1).write(&mut doc).expect("write");
    let mut versions = vec![heads_hex(&doc.get_heads())];
    let mut stored = docstore::insert(&db, ID, "P1", "labour_sheet", doc).await.expect("insert");
    for h in 2..=VERSIONS {
        sheet(h).write(&mut stored.doc).expect("edit");
        docstore::save(&db, &mut stored).await.expect("save");
        versions.push(heads_hex(&stored.doc.get_heads()));
    }
    let cache = Arc::new(DocCache::new(16 << 20));
    // One supervisor per version, all at once, twice each (the second a retry with the same key).
    let mut tasks = Vec::new();
    for (i, heads) in versions.iter().enumerate() {
        for _ in 0..2 {
            let (db, cache, heads) = (db.clone(), cache.clone(), heads.clone());
            let who = TokenGrant {
                device_id: format!("sup-{i}"),
                device_name: format!("S{i}"),
                role: Role::Supervisor,
                project_id: "P1".into(),
            };
            tasks.push(tokio::spawn(async move {
                let req = DecideRequest {
                    record_id: ID.into(),
                    status: DecisionStatus::Approved,
                    heads,
                    comment: String::new(),
                    request_id: Some("k".into()),
                };
                store::decide(&db, &cache, &who, req).await
            }));
        }
    }
    let mut answers: HashMap<String, String> = HashMap::new();
    for t in tasks {
        let out = t.await.expect("task").expect("every approval succeeds (retrying when another got in first)");
        let first = answers.entry(out.decision.decided_by.clone()).or_insert_with(|| out.decision.id.clone());
        assert_eq!(*first, out.decision.id, "a request and its retry get one answer");
    }
    let history = store::history(&db, ID).await.expect("history");
    let approvals: Vec<_> = history.decisions.iter().filter(|d| d.status == "approved").collect();
    assert_eq!(approvals.len(), versions.len(), "one decision per request key, never two");
    for (seq, pair) in approvals.windows(2).enumerate() {
        assert_eq!(pair[1].replaces.as_ref(), Some(&pair[0].id), "approval {seq} replaced its predecessor");
    }
    let rows = store::postings_of(&db, "P1", Some(ID)).await.expect("postings");
    let mut reversed: HashMap<i64, usize> = HashMap::new();
    for r in rows.iter().filter_map(|r| r.reverses) {
        *reversed.entry(r).or_default() += 1;
    }
    assert!(reversed.values().all(|n| *n == 1), "no posting is reversed twice: {reversed:?}");
    let net: Decimal = rows.iter().map(|r| r.posting.amount).sum();
    let last = approvals.last().expect("an approval");
    let mut current = docstore::load(&db, ID).await.expect("load").expect("doc");
    let version = store::version_at(&mut current.doc, &last.heads).expect("version");
    let expected: Decimal = postings(&Record::read(&version).expect("record")).iter().map(|p| p.amount).sum();
    assert_eq!(net, expected, "the ledger nets to the last approval's version");
}

fn run(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    rt.block_on(async {
        let db = Db::connect(url, dir.path()).await.expect("db");
        story(db).await;
    });
}

#[test]
fn concurrent_approvals_on_sqlite() {
    run(None);
}

#[test]
fn concurrent_approvals_on_postgresql() {
    let pg = common::ThrowawayPg::create();
    run(Some(&pg.url()));
}
