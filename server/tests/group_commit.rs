//! Many phones syncing at once share commits (server/src/commit.rs): every acknowledged document is
//! stored, exactly once, on SQLite and on PostgreSQL, and the writes went through the shared commit.

mod common;

use common::phone::SimPhone;
use common::records::{self, expense_doc};
use common::*;
use record_schema::Record;

const PHONES: usize = 12;
const ROUNDS: usize = 4;

/// A counter's value from the Prometheus text of /metrics.
fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

fn concurrent_syncs(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tokens: Vec<String> = (0..=PHONES).map(|_| token(dir.path(), url, "P1")).collect();
    let server = start_with(dir.path(), url);
    let addr = server.addr.clone();

    // Each phone records a new expense and syncs, ROUNDS times, all phones at once.
    let phones: Vec<SimPhone> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens[..PHONES]
            .iter()
            .enumerate()
            .map(|(p, t)| {
                let addr = addr.as_str();
                scope.spawn(move || {
                    let mut phone = SimPhone::new(t.clone());
                    for r in 0..ROUNDS {
                        let id = format!("e-{p}-{r}");
                        phone.docs.insert(id.clone(), expense_doc(&records::expense(&id, "P1")));
                        let t = phone.sync(addr);
                        assert!(t.errors.is_empty(), "phone {p} round {r}: {:?}", t.errors);
                    }
                    phone
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("phone thread")).collect()
    });

    // A fresh phone of the project receives every expense, as its author wrote it.
    let mut fresh = SimPhone::new(tokens[PHONES].clone());
    let t = fresh.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(fresh.docs.len(), PHONES * ROUNDS);
    for (p, phone) in phones.iter().enumerate() {
        for r in 0..ROUNDS {
            let id = format!("e-{p}-{r}");
            assert!(matches!(fresh.record(&id), Record::Expense(_)), "{id}");
            assert_eq!(fresh.record(&id), phone.record(&id), "{id}");
        }
    }

    let (status, metrics) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    let writes = counter(&metrics, "fieldledger_db_writes_total");
    let commits = counter(&metrics, "fieldledger_db_commits_total");
    eprintln!("{writes} writes in {commits} commits");
    // Every new document was one write (states of documents only offered to a phone add more).
    assert!(writes >= (PHONES * ROUNDS) as u64, "writes {writes}");
    assert!(commits >= 1 && commits <= writes, "commits {commits}, writes {writes}");
}

#[test]
fn concurrent_syncs_share_commits_on_sqlite() {
    concurrent_syncs(None);
}

#[test]
fn concurrent_syncs_share_commits_on_postgresql() {
    let pg = ThrowawayPg::create();
    concurrent_syncs(Some(&pg.url()));
}
