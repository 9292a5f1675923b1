//! Field observations (现场问题): the document round-trips and passes the shape check; the shape
//! check refuses keys an observation does not hold and values of the wrong type; the rules name the
//! field (title, description, place, GPS, activity against the reference data, date); the
//! follow-up document is server-owned and has no phone shape.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use chrono::{NaiveDate, TimeZone, Utc};
use record_schema::record::RecordHeader;
use record_schema::*;

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

fn photo() -> PhotoRef {
    PhotoRef {
        sha256: "a".repeat(64),
        byte_size: 120_000,
        width: 1600,
        height: 1200,
        mime: "image/jpeg".into(),
        captured_at_ms: 1_763_900_000_000,
        location: None,
        thumbnail_sha256: "b".repeat(64),
    }
}

fn observation() -> Observation {
    Observation {
        header: header("obs-1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        category: ObservationCategory::Safety,
        severity: Severity::High,
        title: "3#楼5层临边无防护".into(),
        description: Some("东侧临边护栏缺失约6米".into()),
        place: Some("3#楼5层东侧".into()),
        gps: Some(GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: Some(8.5) }),
        activity: Some("A-POUR-L3".into()),
        photos: vec![photo()],
    }
}

fn reference() -> ReferenceData {
    ReferenceData {
        project_id: "P1".into(),
        sites: vec![Site { id: "S1".into(), name: "一号楼".into(), time_zone: "Asia/Shanghai".into() }],
        activities: vec![Activity {
            id: "A-POUR-L3".into(),
            name: "Pour level 3 slab".into(),
            planned_start: None,
            planned_finish: None,
            unit: None,
        }],
        ..Default::default()
    }
}

fn ctx(reference: Option<&ReferenceData>) -> ValidationContext<'_> {
    ValidationContext::new(Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap(), reference)
}

fn refused(o: &Observation, reference: Option<&ReferenceData>) -> String {
    Record::Observation(o.clone()).validate(&ctx(reference)).expect_err("refused").field
}

fn written(o: &Observation) -> AutoCommit {
    let mut d = AutoCommit::new();
    o.write(&mut d).expect("write");
    d
}

fn shape_refuses(d: &AutoCommit, field: &str) {
    match shape::check(d, RecordKind::Observation) {
        Err(SchemaError::Malformed { field: f, reason }) => assert_eq!(f, field, "wrong place named ({reason})"),
        other => panic!("expected the shape check to refuse {field}, got {other:?}"),
    }
}

#[test]
fn an_observation_round_trips_and_passes_the_shape_check() {
    let o = observation();
    let loaded = AutoCommit::load(&written(&o).save()).expect("load");
    assert_eq!(Record::read(&loaded).expect("read"), Record::Observation(o.clone()));
    assert_eq!(doc::read_kind(&loaded).expect("kind"), RecordKind::Observation);
    assert_eq!(RecordKind::from_str("observation").expect("kind"), RecordKind::Observation);
    assert_eq!(doc::get_str(&loaded, &ROOT, "category").expect("category").as_deref(), Some("safety"));
    assert_eq!(doc::get_str(&loaded, &ROOT, "severity").expect("severity").as_deref(), Some("high"));
    shape::check(&loaded, RecordKind::Observation).expect("shape");
    let r = Record::Observation(o.clone());
    assert_eq!(r.date(), o.date);
    assert_eq!(r.photos().map(|(k, p)| (k, p.len())), Some(("photos", 1)));
    r.validate(&ctx(Some(&reference()))).expect("valid against the reference data");
    r.validate(&ctx(None)).expect("valid without reference data");

    // The optional parts go away when cleared, and the document still reads and checks.
    let bare = Observation { description: None, place: None, gps: None, activity: None, photos: vec![], ..o.clone() };
    let mut d = written(&o);
    bare.write(&mut d).expect("rewrite");
    assert!(doc::get_map(&d, &ROOT, "gps").expect("gps").is_none(), "the GPS fix is removed");
    assert_eq!(Observation::read(&d).expect("read"), bare);
    shape::check(&d, RecordKind::Observation).expect("shape");

    for c in ObservationCategory::ALL {
        assert_eq!(ObservationCategory::parse(c.as_str()), Some(c));
    }
    for s in Severity::ALL {
        assert_eq!(Severity::parse(s.as_str()), Some(s));
    }
    assert_eq!(ObservationCategory::parse("Safety"), None, "parsing is strict");
    assert_eq!(Severity::parse("urgent"), None);
}

#[test]
fn the_shape_check_refuses_unknown_keys_and_wrong_types() {
    let mut d = written(&observation());
    d.put(&ROOT, "cost_code", "03-100").expect("put");
    shape_refuses(&d, "cost_code");

    let mut d = written(&observation());
    let gps = doc::get_map(&d, &ROOT, "gps").expect("gps").expect("map");
    d.put(&gps, "altitude", 12.0).expect("put");
    shape_refuses(&d, "gps/altitude");

    let mut d = written(&observation());
    d.put(&ROOT, "title", 42_i64).expect("put");
    shape_refuses(&d, "title");

    let mut d = written(&observation());
    let gps = doc::get_map(&d, &ROOT, "gps").expect("gps").expect("map");
    d.put(&gps, "latitude", "31.2").expect("put");
    shape_refuses(&d, "gps/latitude");

    let mut d = written(&observation());
    d.put_object(&ROOT, "severity", ObjType::Map).expect("put");
    shape_refuses(&d, "severity");

    let mut d = written(&observation());
    d.put(&ROOT, "description", "x".repeat(validate::MAX_NOTE_BYTES + 1)).expect("put");
    shape_refuses(&d, "description");

    // An unknown category passes the shape (it is text) but does not read.
    let mut d = written(&observation());
    d.put(&ROOT, "category", "weather").expect("put");
    match Observation::read(&d) {
        Err(SchemaError::Malformed { field, .. }) => assert_eq!(field, "category"),
        other => panic!("expected category refused, got {other:?}"),
    }

    // The follow-up is server-owned: a phone's document is never checked as one.
    assert!(RecordKind::FollowUp.server_owned());
    assert!(!RecordKind::Observation.server_owned());
}

#[test]
fn bad_observations_are_refused_with_the_field_named() {
    let reference = reference();
    let mut o = observation();
    o.title = "   ".into();
    assert_eq!(refused(&o, None), "title");
    o.title = "x".repeat(validate::MAX_NAME_BYTES + 1);
    assert_eq!(refused(&o, None), "title");
    o.title = "字".repeat(validate::MAX_NAME_BYTES / 3);
    Record::Observation(o.clone()).validate(&ctx(None)).expect("200 bytes of Chinese is fine");

    let mut o = observation();
    o.description = Some("x".repeat(validate::MAX_NOTE_BYTES + 1));
    assert_eq!(refused(&o, None), "description");

    let mut o = observation();
    o.place = Some("x".repeat(validate::MAX_NAME_BYTES + 1));
    assert_eq!(refused(&o, None), "place");

    let gps = |latitude, longitude, accuracy_m| Some(GeoPoint { latitude, longitude, accuracy_m });
    let mut o = observation();
    o.gps = gps(91.0, 121.0, None);
    assert_eq!(refused(&o, None), "gps.latitude");
    o.gps = gps(f64::NAN, 121.0, None);
    assert_eq!(refused(&o, None), "gps.latitude");
    o.gps = gps(31.0, -180.5, None);
    assert_eq!(refused(&o, None), "gps.longitude");
    o.gps = gps(31.0, 121.0, Some(-1.0));
    assert_eq!(refused(&o, None), "gps.accuracy_m");

    let mut o = observation();
    o.activity = Some("A-NOPE".into());
    assert_eq!(refused(&o, Some(&reference)), "activity");
    Record::Observation(o.clone()).validate(&ctx(None)).expect("no reference data: taken as given");

    let mut o = observation();
    o.date = NaiveDate::from_ymd_opt(2026, 12, 25).expect("date");
    assert_eq!(refused(&o, None), "date");

    let mut o = observation();
    o.header.site_id = "S9".into();
    assert_eq!(refused(&o, Some(&reference)), "site_id");
}

#[test]
fn a_follow_up_round_trips_with_its_events() {
    let f = FollowUp {
        record_id: "obs-1".into(),
        project_id: "P1".into(),
        status: FollowUpStatus::Closed,
        assignee: Some("李工".into()),
        due: NaiveDate::from_ymd_opt(2026, 12, 10),
        resolution: Some("护栏已补装".into()),
        risk_id: Some("R-0001".into()),
        events: vec![
            FollowUpEvent {
                action: "assigned".into(),
                status: FollowUpStatus::Assigned,
                by: "王芳".into(),
                at_ms: 1,
                note: "今天处理".into(),
            },
            FollowUpEvent {
                action: "closed".into(),
                status: FollowUpStatus::Closed,
                by: "王芳".into(),
                at_ms: 2,
                note: String::new(),
            },
        ],
    };
    let mut d = AutoCommit::new();
    f.write(&mut d).expect("write");
    let loaded = AutoCommit::load(&d.save()).expect("load");
    assert_eq!(FollowUp::read(&loaded).expect("read"), f);
    assert_eq!(doc::read_kind(&loaded).expect("kind"), RecordKind::FollowUp);
    assert_eq!(doc::get_str(&loaded, &ROOT, "id").expect("id").as_deref(), Some("follow_up:obs-1"));
    assert!(Record::read(&loaded).is_err(), "a follow-up is not a record");
}
