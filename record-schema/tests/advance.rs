//! Wage advances (借支) and roster ids: the document round-trips and passes the shape check; the
//! rules name the field (amount, reason, worker name, worker id against the published roster); a
//! crew line's worker without a roster id is stored as before; the roster travels in the
//! reference data.

use std::str::FromStr;

use automerge::{AutoCommit, ROOT};
use chrono::{NaiveDate, TimeZone, Utc};
use record_schema::record::RecordHeader;
use record_schema::*;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn header(id: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "foreman-li".into(),
        created_at_ms: 1_763_900_000_000,
        voided: None,
    }
}

fn slip() -> PhotoRef {
    PhotoRef {
        sha256: "c".repeat(64),
        byte_size: 99_000,
        width: 1600,
        height: 1200,
        mime: "image/jpeg".into(),
        captured_at_ms: 1_763_900_000_000,
        location: None,
        thumbnail_sha256: "d".repeat(64),
    }
}

fn advance() -> WageAdvance {
    WageAdvance {
        header: header("adv-1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        worker: Worker { name: "王强".into(), id_number: None, worker_id: Some("W-0007".into()) },
        crew: Some("张班组".into()),
        amount: dec("500.00"),
        currency: Currency::Cny,
        reason: "家里急用".into(),
        slips: vec![slip()],
        note: None,
    }
}

fn roster() -> ReferenceData {
    ReferenceData {
        project_id: "P1".into(),
        workers: vec![
            RosterWorker {
                id: "W-0007".into(),
                name: "王强".into(),
                crew: Some("张班组".into()),
                trade: None,
                left: false,
            },
            RosterWorker {
                id: "W-0008".into(),
                name: "刘军".into(),
                crew: None,
                trade: Some("木工".into()),
                left: false,
            },
        ],
        ..Default::default()
    }
}

fn ctx(reference: Option<&ReferenceData>) -> ValidationContext<'_> {
    ValidationContext::new(Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap(), reference)
}

fn refused(a: &WageAdvance, reference: Option<&ReferenceData>) -> String {
    Record::WageAdvance(a.clone()).validate(&ctx(reference)).expect_err("refused").field
}

#[test]
fn an_advance_round_trips_and_passes_the_shape_check() {
    let a = advance();
    let mut d = AutoCommit::new();
    a.write(&mut d).expect("write");
    let loaded = AutoCommit::load(&d.save()).expect("load");
    assert_eq!(Record::read(&loaded).expect("read"), Record::WageAdvance(a.clone()));
    assert_eq!(doc::read_kind(&loaded).expect("kind"), RecordKind::WageAdvance);
    assert_eq!(RecordKind::from_str("wage_advance").expect("kind"), RecordKind::WageAdvance);
    assert_eq!(doc::get_str(&loaded, &ROOT, "amount").expect("amount").as_deref(), Some("500.00"));
    shape::check(&loaded, RecordKind::WageAdvance).expect("shape");
    // An advance reads through the generic paths too.
    let r = Record::WageAdvance(a.clone());
    assert_eq!(r.date(), a.date);
    assert_eq!(r.photos().map(|(k, p)| (k, p.len())), Some(("slips", 1)));
    assert!(r.names_roster_ids());
    r.validate(&ctx(Some(&roster()))).expect("valid against the roster");
    r.validate(&ctx(None)).expect("valid without reference data");
}

#[test]
fn the_shape_check_refuses_what_an_advance_does_not_hold() {
    use automerge::transaction::Transactable;
    let mut d = AutoCommit::new();
    advance().write(&mut d).expect("write");
    d.put(&ROOT, "cost_code", "03-100").expect("put");
    let e = shape::check(&d, RecordKind::WageAdvance).expect_err("refused");
    assert!(matches!(&e, SchemaError::Malformed { field, .. } if field == "cost_code"), "{e}");

    let mut d = AutoCommit::new();
    advance().write(&mut d).expect("write");
    d.put(&ROOT, "reason", "x".repeat(validate::MAX_REASON_BYTES + 1)).expect("put");
    let e = shape::check(&d, RecordKind::WageAdvance).expect_err("refused");
    assert!(matches!(&e, SchemaError::Malformed { field, .. } if field == "reason"), "{e}");

    let mut d = AutoCommit::new();
    advance().write(&mut d).expect("write");
    d.put(&ROOT, "amount", "500").expect("put");
    let e = shape::check(&d, RecordKind::WageAdvance).expect_err("refused");
    assert!(matches!(&e, SchemaError::Malformed { field, .. } if field == "amount"), "{e}");
}

#[test]
fn bad_advances_are_refused_with_the_field_named() {
    let reference = roster();
    let mut a = advance();
    a.amount = Decimal::ZERO;
    assert_eq!(refused(&a, None), "amount");
    a.amount = dec("-5.00");
    assert_eq!(refused(&a, None), "amount");
    a.amount = dec("12.345");
    assert_eq!(refused(&a, None), "amount", "more decimals than the currency has");
    a.amount = Decimal::from(validate::MAX_ADVANCE_AMOUNT + 1);
    assert_eq!(refused(&a, None), "amount");

    let mut a = advance();
    a.reason = "  ".into();
    assert_eq!(refused(&a, None), "reason");
    a.reason = "x".repeat(validate::MAX_REASON_BYTES + 1);
    assert_eq!(refused(&a, None), "reason");

    let mut a = advance();
    a.worker.name = String::new();
    assert_eq!(refused(&a, None), "worker.name");

    let mut a = advance();
    a.worker.worker_id = Some("W-9999".into());
    assert_eq!(refused(&a, Some(&reference)), "worker.worker_id");
    // Without a published roster the id is taken as given (the office links names later).
    Record::WageAdvance(a.clone()).validate(&ctx(Some(&ReferenceData::default()))).expect("no roster: no check");

    let mut a = advance();
    a.date = NaiveDate::from_ymd_opt(2026, 12, 25).expect("date");
    assert_eq!(refused(&a, None), "date");
}

#[test]
fn crew_line_workers_carry_roster_ids_only_when_given() {
    let line = |workers: Vec<Worker>| CrewLine {
        id: "l1".into(),
        position: 0,
        trade: "木工".into(),
        crew: None,
        headcount: 3,
        effort: Effort::Days(dec("1")),
        rate: dec("380"),
        rate_unit: TimeUnit::Day,
        hours_per_day: dec("8"),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers,
    };
    let sheet = |workers: Vec<Worker>| LabourSheet {
        header: header("sheet-1"),
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        currency: Currency::Cny,
        lines: vec![line(workers)],
        note: None,
    };
    let keys_of_worker = |d: &AutoCommit| -> Vec<String> {
        use automerge::ReadDoc;
        let lines = doc::get_map(d, &ROOT, "lines").expect("lines").expect("map");
        let l = doc::get_map(d, &lines, "l1").expect("line").expect("map");
        let Some((_, list)) = d.get(&l, "workers").expect("workers") else { return vec![] };
        let Some((_, w)) = d.get(&list, 0).expect("worker") else { return vec![] };
        d.keys(&w).collect()
    };
    // Written without a roster id, a worker holds exactly what it held before rosters existed.
    let plain = sheet(vec![Worker { name: "王强".into(), ..Default::default() }]);
    let mut d = AutoCommit::new();
    plain.write(&mut d).expect("write");
    assert_eq!(keys_of_worker(&d), vec!["name".to_string()]);
    let mut created = AutoCommit::new();
    LabourSheet::put_line(&mut created, Currency::Cny, &plain.lines[0], 1).expect("put line");
    assert_eq!(keys_of_worker(&created), vec!["name".to_string()]);

    let named = sheet(vec![
        Worker { name: "王强".into(), id_number: None, worker_id: Some("W-0007".into()) },
        Worker { name: "新来的".into(), ..Default::default() },
    ]);
    let mut d = AutoCommit::new();
    named.write(&mut d).expect("write");
    assert_eq!(keys_of_worker(&d), vec!["name".to_string(), "worker_id".to_string()]);
    shape::check(&d, RecordKind::LabourSheet).expect("shape");
    assert_eq!(LabourSheet::read(&d).expect("read"), named);
    let mut fresh = AutoCommit::new();
    LabourSheet::put_line(&mut fresh, Currency::Cny, &named.lines[0], 1).expect("put line");
    assert_eq!(keys_of_worker(&fresh), vec!["name".to_string(), "worker_id".to_string()]);

    let reference = roster();
    // (The roster alone: this reference data lists no cost codes.)
    let with_roster = ctx(None).with_roster(&reference.workers);
    Record::LabourSheet(named.clone()).validate(&with_roster).expect("on the roster");
    let mut unknown = named.clone();
    unknown.lines[0].workers[1].worker_id = Some("W-4040".into());
    let r = Record::LabourSheet(unknown);
    let e = r.validate(&with_roster).expect_err("unknown id");
    assert_eq!(e.field, "lines[0].workers[1].worker_id");
    // The server's sync checks the ids alone, against the roster it read.
    let e = r.check_worker_ids(&ctx(None).with_roster(&reference.workers)).expect_err("unknown id");
    assert_eq!(e.field, "lines[0].workers[1].worker_id");
}

#[test]
fn the_roster_travels_in_the_reference_data_and_is_absent_until_published() {
    let mut d = AutoCommit::new();
    let none = ReferenceData { project_id: "P1".into(), ..Default::default() };
    none.write(&mut d).expect("write");
    assert!(doc::get_map(&d, &ROOT, "workers").expect("get").is_none(), "no roster, no map");
    assert_eq!(ReferenceData::read(&d).expect("read"), none);

    let r = roster();
    r.write(&mut d).expect("write");
    let back = ReferenceData::read(&AutoCommit::load(&d.save()).expect("load")).expect("read");
    assert_eq!(back.workers.len(), 2);
    assert_eq!(back.worker("W-0008").map(|w| (w.name.as_str(), w.trade.as_deref())), Some(("刘军", Some("木工"))));

    // A worker leaves the roster: the published list follows.
    let mut fewer = r.clone();
    fewer.workers.retain(|w| w.id != "W-0008");
    fewer.write(&mut d).expect("write");
    assert_eq!(ReferenceData::read(&d).expect("read").workers, fewer.workers);
}
