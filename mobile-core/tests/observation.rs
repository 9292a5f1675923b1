//! Field observations (现场问题) on the phone: recorded offline with a photo, edited (photos kept),
//! listed by kind; bad input refused with a typed error naming the field and the store left as it
//! was; the office's follow-up (a server-owned `follow_up:<id>` document) read back as
//! `observation_status`, open until one arrives, and never editable on the phone.

mod common;

use automerge::AutoCommit;
use chrono::NaiveDate;
use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;
use mobile_core::ffi::{parse_observation_category, parse_severity};
use record_schema::{FollowUp, FollowUpEvent, FollowUpStatus};

fn input(title: &str) -> ObservationInput {
    ObservationInput {
        date: today(),
        category: ObservationCategory::Safety,
        severity: Severity::High,
        title: title.into(),
        description: Some("东侧临边护栏缺失约6米".into()),
        place: Some("3#楼5层东侧".into()),
        gps: Some(GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: Some(8.5) }),
        activity: Some("A-POUR-L3".into()),
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

fn event(action: &str, status: FollowUpStatus, at_ms: i64, note: &str) -> FollowUpEvent {
    FollowUpEvent { action: action.into(), status, by: "王芳".into(), at_ms, note: note.into() }
}

/// The follow-up document as the server would send it (its full save, imported like a sync brings it).
fn follow_up_doc(f: &FollowUp, doc: &mut AutoCommit) -> Vec<u8> {
    f.write(doc).expect("write follow-up");
    doc.commit();
    doc.save()
}

#[test]
fn an_observation_is_recorded_offline_with_a_photo_edited_and_listed_by_kind() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let o = t.store.create_observation(place(), input("3#楼5层临边无防护")).expect("observation");
    assert_eq!((o.category, o.severity), (ObservationCategory::Safety, Severity::High));
    assert_eq!(o.title, "3#楼5层临边无防护");
    assert_eq!(o.info.author, "foreman-li");
    assert_eq!(o.gps.map(|g| g.latitude), Some(31.2304));
    assert!(o.photos.is_empty());

    let shot = t.dir.path().join("edge.jpg");
    write_jpeg(&shot, 1600, 1200);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let photo = rt
        .block_on(t.store.attach_photo(o.info.id.clone(), shot.display().to_string(), PhotoContext::default()))
        .expect("attach photo");
    let read = t.store.get_observation(o.info.id.clone()).expect("read");
    assert_eq!(read.photos.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>(), [photo.sha256.as_str()]);
    assert!(std::path::Path::new(&read.photos[0].thumbnail_path).exists(), "the thumbnail is kept");
    assert_eq!(t.store.pending_uploads().expect("pending").len(), 1, "the photo waits for a sync");

    // An edit replaces the fields and keeps the photo; clearing GPS and activity clears them.
    let mut changed = input("3#楼5层临边防护不全");
    changed.severity = Severity::Critical;
    changed.category = ObservationCategory::Quality;
    changed.gps = None;
    changed.activity = Some("  ".into());
    let edited = t.store.update_observation(o.info.id.clone(), changed).expect("update");
    assert_eq!(
        (edited.title.as_str(), edited.severity, edited.category, edited.photos.len()),
        ("3#楼5层临边防护不全", Severity::Critical, ObservationCategory::Quality, 1)
    );
    assert_eq!((edited.gps, edited.activity), (None, None));
    assert_eq!(edited.info.created_at_ms, o.info.created_at_ms, "the header is kept");
    match t.store.get_expense(o.info.id.clone()) {
        Err(CoreError::WrongKind { found, .. }) => assert_eq!(found, "observation"),
        other => panic!("expected WrongKind, got {other:?}"),
    }
    assert!(matches!(
        t.store.get_record(o.info.id.clone()).expect("any"),
        AnyRecord::Observation { observation } if observation.severity == Severity::Critical
    ));

    t.store.create_expense(place(), expense("35")).expect("an expense beside it");
    let only =
        t.store.list_records(RecordFilter { kind: Some(RecordKind::Observation), ..Default::default() }).expect("list");
    assert_eq!(only.len(), 1);
    let row = &only[0];
    assert_eq!((row.id.as_str(), row.kind), (o.info.id.as_str(), RecordKind::Observation));
    assert_eq!(
        (row.subject.as_str(), row.date.as_str(), row.photo_count),
        ("3#楼5层临边防护不全", today().as_str(), 1)
    );
    assert_eq!((row.total.clone(), row.currency.clone()), (None, None));
    assert_eq!(t.store.unsynced().expect("unsynced").records, 2);
}

#[test]
fn bad_observations_are_refused_with_the_field_named_and_change_nothing() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    refused_on_field(&t, "title", || t.store.create_observation(place(), input("   ")));
    refused_on_field(&t, "title", || t.store.create_observation(place(), input(&"x".repeat(201))));
    let mut north = input("临边");
    north.gps = Some(GeoPoint { latitude: 91.0, longitude: 121.0, accuracy_m: None });
    refused_on_field(&t, "gps.latitude", || t.store.create_observation(place(), north));
    let mut far = input("临边");
    far.gps = Some(GeoPoint { latitude: 31.0, longitude: 181.0, accuracy_m: None });
    refused_on_field(&t, "gps.longitude", || t.store.create_observation(place(), far));
    let mut unknown = input("临边");
    unknown.activity = Some("A-NOPE".into());
    refused_on_field(&t, "activity", || t.store.create_observation(place(), unknown));
    let mut bad_date = input("临边");
    bad_date.date = "2026-13-01".into();
    refused_on_field(&t, "date", || t.store.create_observation(place(), bad_date));
    let mut future = input("临边");
    future.date = days_from_today(5);
    refused_on_field(&t, "date", || t.store.create_observation(place(), future));
    let mut long_place = input("临边");
    long_place.place = Some("x".repeat(201));
    refused_on_field(&t, "place", || t.store.create_observation(place(), long_place));

    // App text for the enums is parsed strictly, naming the field.
    refused_on_field(&t, "category", || parse_observation_category("category".into(), "weather".into()));
    refused_on_field(&t, "category", || parse_observation_category("category".into(), "Safety".into()));
    refused_on_field(&t, "severity", || parse_severity("severity".into(), "urgent".into()));
    assert_eq!(
        parse_observation_category("category".into(), " delay ".into()).expect("ok"),
        ObservationCategory::Delay
    );
    assert_eq!(parse_severity("severity".into(), "critical".into()).expect("ok"), Severity::Critical);

    // A good one, then a bad edit of it: the stored observation stays.
    let o = t.store.create_observation(place(), input("临边无防护")).expect("good observation");
    refused_on_field(&t, "title", || t.store.update_observation(o.info.id.clone(), input("")));
    assert_eq!(t.store.get_observation(o.info.id).expect("read").title, "临边无防护");
}

#[test]
fn the_follow_up_is_open_until_the_office_writes_one_then_read_only() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let o = t.store.create_observation(place(), input("3#楼5层临边无防护")).expect("observation");
    let id = o.info.id.clone();
    let status = t.store.observation_status(id.clone()).expect("status");
    assert_eq!(status.state, FollowUpState::Open);
    assert_eq!((status.assignee, status.due, status.resolution, status.risk_id), (None, None, None, None));
    assert!(status.events.is_empty());

    // The office assigns it.
    let mut f = FollowUp {
        record_id: id.clone(),
        project_id: "P1".into(),
        status: FollowUpStatus::Assigned,
        assignee: Some("李工".into()),
        due: NaiveDate::from_ymd_opt(2026, 12, 10),
        resolution: None,
        risk_id: None,
        events: vec![event("assigned", FollowUpStatus::Assigned, 1_765_000_000_000, "今天补装")],
    };
    let doc_id = FollowUp::document_id(&id);
    let mut server = AutoCommit::new();
    let imported = t.store.import_changes(doc_id.clone(), follow_up_doc(&f, &mut server)).expect("import");
    assert_eq!((imported.kind.as_str(), imported.changed), ("follow_up", true));
    let status = t.store.observation_status(id.clone()).expect("status");
    assert_eq!(status.state, FollowUpState::Assigned);
    assert_eq!((status.assignee.as_deref(), status.due.as_deref()), (Some("李工"), Some("2026-12-10")));
    assert_eq!(status.events.len(), 1);
    // A follow-up is not a record: it is not listed, and only the observation counts as unsynced.
    assert_eq!(t.store.list_records(RecordFilter::default()).expect("list").len(), 1);
    assert_eq!(t.store.unsynced().expect("unsynced").records, 1);

    // Promoted to a risk, then closed: the events grow in order.
    f.risk_id = Some("R-0001".into());
    f.events.push(event("promoted", FollowUpStatus::Assigned, 1_765_000_100_000, "R-0001"));
    f.status = FollowUpStatus::Closed;
    f.resolution = Some("护栏已补装".into());
    f.events.push(event("closed", FollowUpStatus::Closed, 1_765_000_200_000, "护栏已补装"));
    t.store.import_changes(doc_id.clone(), follow_up_doc(&f, &mut server)).expect("import");
    let status = t.store.observation_status(id.clone()).expect("status");
    assert_eq!(status.state, FollowUpState::Closed);
    assert_eq!(status.assignee.as_deref(), Some("李工"));
    assert_eq!(status.resolution.as_deref(), Some("护栏已补装"));
    assert_eq!(status.risk_id.as_deref(), Some("R-0001"));
    assert_eq!(
        status.events.iter().map(|e| (e.action.as_str(), e.state, e.by.as_str())).collect::<Vec<_>>(),
        [
            ("assigned", FollowUpState::Assigned, "王芳"),
            ("promoted", FollowUpState::Assigned, "王芳"),
            ("closed", FollowUpState::Closed, "王芳"),
        ]
    );
    assert_eq!(status.events[0].note, "今天补装");
    assert!(status.events.windows(2).all(|w| w[0].at_ms < w[1].at_ms));

    // The phone cannot edit it, nor attach to it; a malformed follow-up is refused whole.
    let before = fingerprint(&t.path);
    assert!(t.store.update_observation(doc_id.clone(), input("x")).is_err());
    assert!(t.store.void_record(doc_id.clone(), "no".into()).is_err());
    let mut bad = AutoCommit::new();
    FollowUp { record_id: "other".into(), ..f.clone() }.write(&mut bad).expect("write");
    automerge::transaction::Transactable::put(&mut bad, automerge::ROOT, "status", "maybe").expect("put");
    bad.commit();
    assert!(t.store.import_changes(FollowUp::document_id("other"), bad.save()).is_err());
    assert_eq!(fingerprint(&t.path), before, "nothing changed");

    // Only an observation has a follow-up.
    let e = t.store.create_expense(place(), expense("35")).expect("expense");
    match t.store.observation_status(e.info.id) {
        Err(CoreError::WrongKind { expected, found, .. }) => {
            assert_eq!((expected.as_str(), found.as_str()), ("observation", "expense"))
        }
        other => panic!("expected WrongKind, got {other:?}"),
    }
}
