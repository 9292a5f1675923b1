//! Wage advances (借支) on the phone: recorded with a photo of the signed slip, edited, listed by
//! kind; workers picked from the roster the reference data publishes; bad input refused with a
//! typed error naming the field, and the store left as it was.

mod common;

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::reference_document;
use mobile_core::ffi::types::*;

fn with_roster() -> ReferenceData {
    ReferenceData {
        workers: vec![
            RosterWorker {
                id: "W-0007".into(),
                name: "王强".into(),
                crew: Some("张班组".into()),
                trade: Some("木工".into()),
            },
            RosterWorker { id: "W-0008".into(), name: "刘军".into(), crew: Some("张班组".into()), trade: None },
        ],
        ..reference()
    }
}

fn store_with_roster() -> TestStore {
    let t = open_store("foreman-li");
    let doc = reference_document(with_roster()).expect("reference document");
    t.store.import_changes("reference:P1".into(), doc).expect("import reference");
    t
}

fn advance(amount: &str, worker_id: Option<&str>) -> WageAdvanceInput {
    WageAdvanceInput {
        date: today(),
        worker: Worker { name: "王强".into(), id_number: None, worker_id: worker_id.map(str::to_string) },
        crew: Some("张班组".into()),
        amount: amount.into(),
        currency: None,
        reason: "家里急用".into(),
        note: None,
    }
}

fn refused_on_field<T: std::fmt::Debug>(t: &TestStore, field: &str, call: impl FnOnce() -> Result<T, CoreError>) {
    let before = fingerprint(&t.path);
    match call() {
        Err(CoreError::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "wrong field named (reason: {reason})");
            assert!(!reason.is_empty());
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    }
    assert_eq!(fingerprint(&t.path), before, "store changed after refusing bad {field}");
}

#[test]
fn an_advance_is_recorded_with_its_signed_slip_and_listed_by_kind() {
    let t = store_with_roster();
    let roster = t.store.roster("P1".into()).expect("roster");
    assert_eq!(roster.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["W-0007", "W-0008"]);
    assert_eq!(roster[0].trade.as_deref(), Some("木工"));
    assert!(t.store.roster("P-unsynced".into()).expect("roster").is_empty(), "no reference data: no roster");

    let a = t.store.create_wage_advance(place(), advance("500", Some("W-0007"))).expect("advance");
    assert_eq!((a.amount.as_str(), a.currency.as_str()), ("500.00", "CNY"));
    assert_eq!(a.worker.worker_id.as_deref(), Some("W-0007"));
    assert!(a.slips.is_empty());

    let slip = t.dir.path().join("slip.jpg");
    write_jpeg(&slip, 1200, 900);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let photo = rt
        .block_on(t.store.attach_photo(a.info.id.clone(), slip.display().to_string(), PhotoContext::default()))
        .expect("attach slip");
    let read = t.store.get_wage_advance(a.info.id.clone()).expect("read");
    assert_eq!(read.slips.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>(), [photo.sha256.as_str()]);
    assert!(std::path::Path::new(&read.slips[0].thumbnail_path).exists(), "the slip's thumbnail is kept");

    // An edit keeps the slip; the other kinds' getters refuse it with its kind.
    let mut changed = advance("650.5", Some("W-0007"));
    changed.reason = "预支生活费".into();
    let edited = t.store.update_wage_advance(a.info.id.clone(), changed).expect("update");
    assert_eq!((edited.amount.as_str(), edited.reason.as_str(), edited.slips.len()), ("650.50", "预支生活费", 1));
    match t.store.get_expense(a.info.id.clone()) {
        Err(CoreError::WrongKind { found, .. }) => assert_eq!(found, "wage_advance"),
        other => panic!("expected WrongKind, got {other:?}"),
    }
    assert!(matches!(
        t.store.get_record(a.info.id.clone()).expect("any"),
        AnyRecord::WageAdvance { advance } if advance.amount == "650.50"
    ));

    t.store.create_expense(place(), expense("35")).expect("an expense beside it");
    let only =
        t.store.list_records(RecordFilter { kind: Some(RecordKind::WageAdvance), ..Default::default() }).expect("list");
    assert_eq!(
        only.iter().map(|r| (r.id.as_str(), r.kind)).collect::<Vec<_>>(),
        [(a.info.id.as_str(), RecordKind::WageAdvance)]
    );
}

#[test]
fn crew_lines_name_roster_workers_by_id() {
    let t = store_with_roster();
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let mut l = line("木工", 3, "8", "47.50");
    l.workers = vec![
        Worker { name: "王强".into(), id_number: None, worker_id: Some("W-0007".into()) },
        Worker { name: "新来的".into(), id_number: None, worker_id: None },
    ];
    t.store.add_crew_line(sheet.info.id.clone(), l.clone()).expect("line");
    let back = t.store.get_labour_sheet(sheet.info.id.clone()).expect("sheet");
    let ids: Vec<_> = back.lines[0].workers.iter().map(|w| w.worker_id.clone()).collect();
    assert_eq!(ids, [Some("W-0007".to_string()), None]);

    l.workers[1].worker_id = Some("W-4040".into());
    refused_on_field(&t, "line.workers[1].worker_id", || t.store.add_crew_line(sheet.info.id.clone(), l.clone()));
}

#[test]
fn bad_advances_are_refused_with_the_field_named_and_change_nothing() {
    let t = store_with_roster();
    for amount in ["0", "-5", "12.345", "1000000.01", "1,000", "abc", ""] {
        refused_on_field(&t, "amount", || t.store.create_wage_advance(place(), advance(amount, None)));
    }
    let mut no_reason = advance("200", None);
    no_reason.reason = "   ".into();
    refused_on_field(&t, "reason", || t.store.create_wage_advance(place(), no_reason));
    let mut no_name = advance("200", None);
    no_name.worker.name = " ".into();
    refused_on_field(&t, "worker.name", || t.store.create_wage_advance(place(), no_name));
    refused_on_field(&t, "worker.worker_id", || t.store.create_wage_advance(place(), advance("200", Some("W-9999"))));
    let mut future = advance("200", None);
    future.date = days_from_today(5);
    refused_on_field(&t, "date", || t.store.create_wage_advance(place(), future));

    // A good one, then a bad edit of it: the stored advance stays.
    let a = t.store.create_wage_advance(place(), advance("300", Some("W-0008"))).expect("good advance");
    refused_on_field(&t, "amount", || t.store.update_wage_advance(a.info.id.clone(), advance("0", None)));
    assert_eq!(t.store.get_wage_advance(a.info.id).expect("read").amount, "300.00");
}
