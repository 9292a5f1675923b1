//! A field observation (现场问题, issue 22) from the phone library to the office and back, through the
//! real server binary (SQLite): the foreman records a safety issue offline with a photo and the
//! phone's GPS fix, syncs (the photo uploads); the office reads it in `GET /v1/observations`,
//! assigns it to 李工 with a due date, raises it as a risk (`R-0001`) and closes it; the phone syncs
//! and `observation_status` shows it closed, with the assignee, due date, resolution, risk and every
//! event in order, as the office's own history lists them. A foreman may not act on it, and the
//! phone cannot write into the office's follow-up.

use fieldledger_tests::api::{fetch, import_reference, json_call};
use fieldledger_tests::phone_core::{open_phone, place};
use fieldledger_tests::records::{reference_workbook, site_today};
use fieldledger_tests::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;
use serde_json::json;

fn input(title: &str) -> ObservationInput {
    ObservationInput {
        date: site_today(),
        category: ObservationCategory::Safety,
        severity: Severity::High,
        title: title.into(),
        description: Some("东侧临边护栏缺失约6米，下方有人作业".into()),
        place: Some("3#楼5层东侧".into()),
        gps: Some(GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: Some(8.5) }),
        activity: Some("A1".into()),
    }
}

#[test]
fn an_observation_goes_from_the_phone_to_the_office_and_its_follow_up_comes_back() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    import_reference(addr, &admin, &reference_workbook());

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");
    let base = format!("http://{addr}");
    let sync = || {
        let r = rt.block_on(phone.sync(base.clone(), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        r
    };
    sync();

    // Offline: an activity the reference data does not list is refused before anything is stored.
    let mut unknown = input("临边无防护");
    unknown.activity = Some("A-NOPE".into());
    match phone.create_observation(place(), unknown) {
        Err(CoreError::InvalidInput { field, .. }) => assert_eq!(field, "activity"),
        other => panic!("expected InvalidInput on activity, got {other:?}"),
    }
    let obs = phone.create_observation(place(), input("3#楼5层临边无防护")).expect("observation");
    let id = obs.info.id.clone();
    let shot = dir.path().join("edge.jpg");
    std::fs::write(&shot, blobkit::jpeg(1200, 900, 5, false)).expect("photo file");
    let photo = rt
        .block_on(phone.attach_photo(id.clone(), shot.display().to_string(), PhotoContext::default()))
        .expect("attach photo");
    let status = phone.observation_status(id.clone()).expect("status");
    assert_eq!((status.state, status.events.len()), (FollowUpState::Open, 0), "open before the office sees it");

    let report = sync();
    assert_eq!(report.photos_uploaded, 1, "{report:?}");

    // The office lists it, open, with its photo.
    let (s, v) = json_call(addr, &sup, "GET", "/v1/observations?status=open", None);
    assert_eq!(s, 200, "{v}");
    let listed = v["observations"].as_array().expect("observations");
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(listed[0]["record_id"], id.as_str());
    assert_eq!(listed[0]["title"], "3#楼5层临边无防护");
    assert_eq!((listed[0]["category"].as_str(), listed[0]["severity"].as_str()), (Some("safety"), Some("high")));
    assert_eq!(listed[0]["photo_count"], 1);
    let (s, bytes) = fetch(addr, &sup, &format!("/v1/blobs/{}", photo.sha256));
    assert_eq!((s, bytes), (200, std::fs::read(&shot).expect("photo")), "the photo was uploaded whole");

    // A foreman may not act on it; the office assigns, promotes and closes it.
    let due = (site_today().parse::<chrono::NaiveDate>().expect("today") + chrono::Duration::days(4)).to_string();
    let assign = json!({"assignee": "李工", "due": due, "note": "今天下班前补装护栏"});
    let (s, v) = json_call(addr, &foreman, "POST", &format!("/v1/observations/{id}/assign"), Some(assign.clone()));
    assert_eq!(s, 403, "{v}");
    let (s, v) = json_call(addr, &sup, "POST", &format!("/v1/observations/{id}/assign"), Some(assign));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["observation"]["status"], "assigned");

    // The phone sees the assignment at its next sync.
    sync();
    let status = phone.observation_status(id.clone()).expect("status");
    assert_eq!(status.state, FollowUpState::Assigned);
    assert_eq!((status.assignee.as_deref(), status.due.as_deref()), (Some("李工"), Some(due.as_str())));

    let (s, v) = json_call(addr, &sup, "POST", &format!("/v1/observations/{id}/promote"), Some(json!({})));
    assert_eq!(s, 201, "{v}");
    let risk = v["label"].as_str().expect("the risk's label").to_string();
    assert_eq!(risk, "R-0001");
    assert_eq!(v["source_record_id"], id.as_str());
    let (s, v) = json_call(addr, &sup, "POST", &format!("/v1/observations/{id}/promote"), Some(json!({})));
    assert_eq!(s, 409, "promoting twice is refused naming the risk: {v}");

    let (s, v) = json_call(
        addr,
        &sup,
        "POST",
        &format!("/v1/observations/{id}/close"),
        Some(json!({"resolution": "东侧护栏已补装并验收"})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["observation"]["status"], "closed");
    let office_events = v["events"].as_array().expect("events").clone();

    // The phone syncs: closed, with everything the office did, in order.
    sync();
    let status = phone.observation_status(id.clone()).expect("status");
    assert_eq!(status.state, FollowUpState::Closed);
    assert_eq!(status.assignee.as_deref(), Some("李工"));
    assert_eq!(status.due.as_deref(), Some(due.as_str()));
    assert_eq!(status.resolution.as_deref(), Some("东侧护栏已补装并验收"));
    assert_eq!(status.risk_id.as_deref(), Some(risk.as_str()));
    assert_eq!(
        status.events.iter().map(|e| (e.action.as_str(), e.state)).collect::<Vec<_>>(),
        [
            ("assigned", FollowUpState::Assigned),
            ("promoted", FollowUpState::Assigned),
            ("closed", FollowUpState::Closed),
        ]
    );
    assert_eq!(status.events[0].note, "今天下班前补装护栏");
    assert!(status.events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "oldest first");
    assert_eq!(office_events.len(), status.events.len(), "{office_events:?}");
    for (office, phone_event) in office_events.iter().zip(&status.events) {
        assert_eq!(office["action"], phone_event.action.as_str());
        assert_eq!(office["by"], phone_event.by.as_str());
        assert_eq!(office["at_ms"], phone_event.at_ms);
        assert_eq!(office["note"], phone_event.note.as_str());
    }
    assert!(status.events.iter().all(|e| !e.by.is_empty()), "who did each step is named");

    // The follow-up is the office's: the phone lists only the observation, writes nothing into
    // the follow-up, and the next sync sends nothing back.
    let rows = phone.list_records(RecordFilter::default()).expect("list");
    assert_eq!(
        rows.iter().map(|r| (r.id.as_str(), r.kind, r.photo_count)).collect::<Vec<_>>(),
        [(id.as_str(), RecordKind::Observation, 1)]
    );
    assert!(phone.update_observation(format!("follow_up:{id}"), input("x")).is_err());
    assert_eq!(phone.unsynced().expect("unsynced").records, 0);
    let again = sync();
    assert_eq!(again.errors.len(), 0);
    assert_eq!(phone.observation_status(id).expect("status").state, FollowUpState::Closed);
}
