//! Two server processes on one PostgreSQL database serve phones at once and converge: each keeps
//! its own hot document cache, and version checks keep those caches coherent.

mod common;

use common::phone::SimPhone;
use common::records::labour_sheet;
use common::*;
use record_schema::{CrewLine, Currency, Effort, LabourSheet, Record};
use rust_decimal::Decimal;

const PHONES: usize = 4;
const ROUNDS: i64 = 15;

fn sheet() -> LabourSheet {
    let line = |i: usize| CrewLine {
        id: format!("l{i}"),
        position: i as i64,
        trade: "木工".into(),
        crew: None,
        headcount: 1,
        effort: Effort::Hours(Decimal::from(8)),
        rate: Decimal::new(4750, 2),
        rate_unit: record_schema::TimeUnit::Hour,
        hours_per_day: Decimal::from(8),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers: vec![],
    };
    labour_sheet("s1", (0..PHONES).map(line).collect())
}

fn set_headcount(p: &mut SimPhone, line: usize, headcount: i64) {
    let doc = p.docs.get_mut("s1").expect("s1");
    let mut s = LabourSheet::read(doc).expect("sheet");
    s.lines[line].headcount = headcount;
    LabourSheet::put_line(doc, Currency::Cny, &s.lines[line], line as i64).expect("put");
}

fn headcounts(p: &SimPhone) -> Vec<i64> {
    let Record::LabourSheet(s) = p.record("s1") else { panic!("a sheet") };
    s.lines.iter().map(|l| l.headcount).collect()
}

/// Syncs until a run has no per-document errors (a "busy" answer under contention is retried).
fn sync_clean(p: &mut SimPhone, addr: &str) {
    for _ in 0..10 {
        if p.sync(addr).errors.is_empty() {
            return;
        }
    }
    panic!("sync kept reporting errors");
}

#[test]
fn two_replicas_on_one_postgresql_converge() {
    let pg = ThrowawayPg::create();
    let url = pg.url();
    let dir = tempfile::tempdir().expect("dir");
    let servers = [start_with(dir.path(), Some(&url)), start_with(dir.path(), Some(&url))];
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let mut phones: Vec<SimPhone> = (0..PHONES).map(|_| SimPhone::new(token(dir.path(), Some(&url), "P1"))).collect();

    phones[0].docs.insert("s1".into(), records::sheet_doc(&sheet()));
    sync_clean(&mut phones[0], &addrs[0]);

    // Alternating, one phone at a time: each replica must see the other's writes despite its cache.
    for (i, p) in phones.iter_mut().enumerate() {
        sync_clean(p, &addrs[i % 2]);
        assert_eq!(headcounts(p), vec![1; PHONES], "phone {i} got the sheet through replica {}", i % 2);
    }
    for round in 0..3 {
        for (i, p) in phones.iter_mut().enumerate() {
            set_headcount(p, i, 10 * (round + 1) + i as i64);
            sync_clean(p, &addrs[i % 2]);
        }
    }

    // All at once: every phone edits its own line and syncs through its replica, concurrently.
    let handles: Vec<_> = phones
        .into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            let addr = addrs[i % 2].clone();
            std::thread::spawn(move || {
                for n in 1..=ROUNDS {
                    set_headcount(&mut p, i, 100 * (i as i64 + 1) + n);
                    // While the others keep editing the same sheet a sync may stop at its round
                    // limit with news still coming (the real phone goes on next time); what must
                    // hold is that nothing errs and everything converges afterwards.
                    let t = p.try_sync(&addr).unwrap_or_else(|(status, body)| panic!("sync answered {status}: {body}"));
                    assert!(t.errors.iter().all(|e| e.code == "busy"), "{:?}", t.errors);
                }
                p
            })
        })
        .collect();
    let mut phones: Vec<SimPhone> = handles.into_iter().map(|h| h.join().expect("phone thread")).collect();

    // Everyone syncs twice more through their replica: all hold the same sheet with every last edit.
    for _ in 0..2 {
        for (i, p) in phones.iter_mut().enumerate() {
            sync_clean(p, &addrs[i % 2]);
        }
    }
    let want: Vec<i64> = (0..PHONES).map(|i| 100 * (i as i64 + 1) + ROUNDS).collect();
    for (i, p) in phones.iter().enumerate() {
        assert_eq!(headcounts(p), want, "phone {i}");
    }
}
