//! One request per sync with peers (issue 25): a phone that receives its peers' changes does not
//! acknowledge them in a second round; the server counts what it sent as delivered and, should the
//! answer be lost, notices from the phone's next manifest digest and sends it again in that same
//! request. SQLite and PostgreSQL.

mod common;

use automerge::AutoCommit;
use common::phone::SimPhone;
use common::records;
use common::*;
use rust_decimal::Decimal;

fn new_expense(p: &mut SimPhone, id: &str, cents: i64) {
    let mut doc = AutoCommit::new();
    records::expense_costing(id, "P1", cents).write(&mut doc).expect("write");
    p.docs.insert(id.to_string(), doc);
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tokens: Vec<String> = (0..4).map(|_| token(dir.path(), url, "P1")).collect();
    let server = start_with(dir.path(), url);
    let mut phones: Vec<SimPhone> = tokens.into_iter().map(SimPhone::new).collect();

    // Each phone's first sync brings its own new record and every peer's so far: one request each,
    // a new document arriving whole.
    for (i, p) in phones.iter_mut().enumerate() {
        new_expense(p, &format!("e{i}"), 10_000 + i as i64);
        let t = p.sync(&server.addr);
        assert_eq!((t.rounds, t.manifest_asked), (1, false), "phone {i}'s first sync: {t:?}");
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(p.docs.len(), i + 1, "phone {i} holds its own and its elders' records");
    }

    // Edit syncs with peers' changes: each phone edits its own record and receives the others'
    // edits since its last sync, in one request, round after round.
    for round in 0..3i64 {
        for (i, p) in phones.iter_mut().enumerate() {
            p.set_expense_amount(&format!("e{i}"), 20_000 + 100 * round + i as i64);
            let t = p.sync(&server.addr);
            assert_eq!((t.rounds, t.manifest_asked), (1, false), "round {round}, phone {i}: {t:?}");
            assert!(t.errors.is_empty(), "{:?}", t.errors);
        }
    }
    // Each edit went to three peers at the same shared heads: generated for the first, reused for
    // the others (`cache::OfferCache`).
    let m = metrics::scrape(&server.addr);
    let (hits, misses) = (
        metrics::counter(&m, "fieldledger_sync_offer_cache_hits_total"),
        metrics::counter(&m, "fieldledger_sync_offer_cache_misses_total"),
    );
    assert!(hits >= 12 && misses > 0, "offers reused {hits} times, generated {misses} times");
    for p in phones.iter_mut() {
        let t = p.sync(&server.addr);
        assert_eq!((t.rounds, t.manifest_asked), (1, false), "{t:?}");
        for i in 0..4 {
            assert_eq!(p.expense_amount(&format!("e{i}")), Decimal::new(20_200 + i, 2));
        }
    }
    // Idle now: one quiet request that carries nothing.
    let idle = phones[0].sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "{idle:?}");
    assert!(idle.received < 64, "{idle:?}");

    // The answer carrying a peer's edit is lost (the phone keeps its state from before the sync):
    // its next sync shows it, and the edit comes again in that one request, without the full
    // manifest.
    phones[1].set_expense_amount("e1", 55_500);
    phones[1].sync(&server.addr);
    let before = phones[0].clone();
    let lost = phones[0].sync(&server.addr);
    assert!(lost.received > 100, "the edit was sent: {lost:?}");
    phones[0] = before;
    assert_eq!(phones[0].expense_amount("e1"), Decimal::new(20_201, 2), "the phone never got it");
    let t = phones[0].sync(&server.addr);
    assert_eq!((t.rounds, t.manifest_asked), (1, false), "sent again at once: {t:?}");
    assert_eq!(phones[0].expense_amount("e1"), Decimal::new(55_500, 2));
    let idle = phones[0].sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "agreed again: {idle:?}");

    // A lost answer that brought a new document: the same.
    new_expense(&mut phones[2], "e-new", 4_200);
    phones[2].sync(&server.addr);
    let before = phones[3].clone();
    phones[3].sync(&server.addr);
    assert!(phones[3].docs.contains_key("e-new"));
    phones[3] = before;
    let t = phones[3].sync(&server.addr);
    assert_eq!((t.rounds, t.manifest_asked), (1, false), "{t:?}");
    assert_eq!(phones[3].expense_amount("e-new"), Decimal::new(4_200, 2));

    // Two answers lost in a row (a phone restored from a backup two syncs old): taking back the
    // last one does not explain the digest, so the phone sends its full manifest once and gets
    // everything back.
    let backup = phones[0].clone();
    for cents in [61_100, 62_200] {
        phones[1].set_expense_amount("e1", cents);
        phones[1].sync(&server.addr);
        phones[0].sync(&server.addr);
    }
    phones[0] = backup;
    let t = phones[0].sync(&server.addr);
    assert!(t.manifest_asked && t.errors.is_empty(), "{t:?}");
    assert_eq!(phones[0].expense_amount("e1"), Decimal::new(62_200, 2));
    let idle = phones[0].sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "{idle:?}");

    // Every phone holds the same records.
    for p in phones.iter_mut() {
        p.sync(&server.addr);
    }
    for p in &phones[1..] {
        assert_eq!(p.docs.len(), phones[0].docs.len());
        for id in phones[0].docs.keys() {
            assert_eq!(p.record(id), phones[0].record(id), "{id}");
        }
    }
}

/// A phone joining a project with more than one answer's worth of documents gets them over several
/// requests of the same sync (`more`), each answer within the configured size, and then agrees with
/// the server: its next sync is one quiet request.
fn join_in_several_answers(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"));
    let server = start_with_args(dir.path(), url, &["--sync-answer-kb", "16"]);
    let mut a = SimPhone::new(ta);
    for i in 0..300 {
        new_expense(&mut a, &format!("e{i:03}"), 10_000 + i);
    }
    assert!(a.sync(&server.addr).errors.is_empty());
    let mut b = SimPhone::new(tb);
    let t = b.sync(&server.addr);
    assert!(t.errors.is_empty() && !t.manifest_asked, "{t:?}");
    assert_eq!(b.docs.len(), 300, "every document arrived in the one sync");
    assert!(t.rounds >= 3, "several answers: {t:?}");
    for (_, down) in &t.per_round {
        // The limit counts offered messages; an answer may end one document past it.
        assert!(*down < 16 * 1024 + 2048, "an answer of {down} B: {t:?}");
    }
    for i in [0, 150, 299] {
        assert_eq!(b.expense_amount(&format!("e{i:03}")), Decimal::new(10_000 + i, 2));
    }
    let idle = b.sync(&server.addr);
    assert_eq!((idle.rounds, idle.manifest_asked), (1, false), "{idle:?}");
    // The joined device's change cursor is at the project's newest number: its idle syncs list
    // nothing.
    let at_newest = "SELECT count(*) FROM devices d JOIN project_change_seq p ON p.project_id = 'P1' \
                     WHERE d.sync_cursor = p.seq";
    assert_eq!(count(dir.path(), url, at_newest), 1);
}

#[test]
fn a_big_join_comes_in_several_answers_on_sqlite() {
    join_in_several_answers(None);
}

#[test]
fn a_big_join_comes_in_several_answers_on_postgresql() {
    let pg = ThrowawayPg::create();
    join_in_several_answers(Some(&pg.url()));
}

#[test]
fn peers_changes_arrive_in_one_request_on_sqlite() {
    story(None);
}

#[test]
fn peers_changes_arrive_in_one_request_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}
