//! The phone core uploads photo originals over tus during `sync`, against the real server binary on
//! SQLite and PostgreSQL: real JPEGs, then an upload cut off mid-chunk (signal lost, server killed)
//! that resumes from the server's offset after a restart. And the app stops a sync: a progress
//! listener that throws (`ListenerFailed`) or a `CancelToken` (`Cancelled`), keeping what was done.

use fieldledger_tests::blobkit;

use blobkit::*;
use fieldledger_tests::api::fetch;
use fieldledger_tests::phone_core::{open_phone, place};
use fieldledger_tests::records::site_today;
use fieldledger_tests::*;
use std::sync::{Arc, Mutex};

use mobile_core::CoreError;
use mobile_core::ffi::CancelToken;
use mobile_core::ffi::types::*;

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write photo");
    p.display().to_string()
}

const MIB: u64 = 1024 * 1024;

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"), token(dir.path(), url, "P2"));
    let mut server = start_with(dir.path(), url);
    let wire = Tripwire::new(&server.addr);
    let base = format!("http://{}", wire.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let a = open_phone(dir.path(), "li");
    let report = a
        .create_progress_report(
            place(),
            ProgressInput {
                date: site_today(),
                activity: "A-POUR-L3".into(),
                measure: ProgressMeasure::Percent { percent: "40".into() },
                caption: Some("L3 slab pour".into()),
            },
        )
        .expect("report");
    let id = report.info.id.clone();

    // Two photos of the day.
    let cam = dir.path().join("camera");
    std::fs::create_dir_all(&cam).expect("camera dir");
    let mut photos = Vec::new();
    for k in 0..2 {
        let path = write(&cam, &format!("IMG_{k}.jpg"), &jpeg(1600, 1200, k, k == 1));
        photos.push(rt.block_on(a.attach_photo(id.clone(), path, PhotoContext::default())).expect("attach"));
    }
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 1, photos: 2 });
    let r = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("sync");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.photos_uploaded, 2, "{r:?}");
    assert_eq!(r.photo_bytes_sent, photos.iter().map(|p| p.byte_size).sum::<u64>());
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 });
    assert!(a.pending_uploads().expect("pending").is_empty());
    for p in &photos {
        let (s, original) = fetch(&server.addr, &ta, &format!("/v1/blobs/{}", p.sha256));
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&original));
        assert_eq!(sha256_hex(&original), p.sha256);
        assert_eq!(fetch(&server.addr, &tb, &format!("/v1/blobs/{}/thumbnail", p.sha256)).0, 200);
        assert_eq!(fetch(&server.addr, &tc, &format!("/v1/blobs/{}", p.sha256)).0, 404, "not for project P2");
    }
    let again = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("idle sync");
    assert_eq!((again.photos_uploaded, again.photo_bytes_sent), (0, 0));

    // A big photo; the signal drops in its second chunk and the server dies too.
    let big = write(&cam, "IMG_big.jpg", &jpeg(2000, 1500, 9, true));
    let big = rt.block_on(a.attach_photo(id.clone(), big, PhotoContext::default())).expect("attach big");
    assert!(big.byte_size > 2 * MIB + MIB / 2, "a multi-chunk photo: {} bytes", big.byte_size);
    wire.arm(i64::try_from(MIB + MIB / 2).expect("fits"));
    match rt.block_on(a.sync(base.clone(), ta.clone(), None, None)) {
        Err(CoreError::Offline { .. }) => {}
        other => panic!("expected Offline when the line is cut, got {other:?}"),
    }
    assert!(wire.tripped());
    drop(server);
    assert_eq!(a.unsynced().expect("unsynced").photos, 1, "still pending");
    server = start_with(dir.path(), url);
    wire.reset(&server.addr);
    let r = rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("sync after the restart");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.photos_uploaded, 1);
    assert_eq!(r.photo_bytes_sent, big.byte_size - MIB, "resumed after the first chunk, not from zero");
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 });
    let (_, original) = fetch(&server.addr, &ta, &format!("/v1/blobs/{}", big.sha256));
    assert_eq!(sha256_hex(&original), big.sha256, "the resumed original is intact");

    // Another phone of the project gets the report with its three photos, and can read them.
    let b = open_phone(dir.path(), "wang");
    rt.block_on(b.sync(format!("http://{}", server.addr), tb.clone(), None, None)).expect("b syncs");
    assert_eq!(b.get_progress_report(id.clone()).expect("report").photos.len(), 3);
    assert_eq!(fetch(&server.addr, &tb, &format!("/v1/blobs/{}", big.sha256)).0, 200);

    // A wrong token is a typed error.
    let c = write(&cam, "IMG_c.jpg", &jpeg(400, 300, 11, false));
    rt.block_on(a.attach_photo(id.clone(), c, PhotoContext::default())).expect("attach");
    match rt.block_on(a.sync(base.clone(), "flt_wrong".into(), None, None)) {
        Err(CoreError::Unauthorized { .. }) => {}
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    a.wipe(false).expect_err("a photo is still pending");
    rt.block_on(a.sync(base, ta, None, None)).expect("sync");
    a.wipe(false).expect("everything is on the server");
}

#[test]
fn phone_uploads_photos_on_sqlite() {
    story(None);
}

#[test]
fn phone_uploads_photos_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

/// What the app's listener heard, and what it does: fail on its first call, or cancel the sync
/// when the first photo is uploaded.
struct Listener {
    heard: Mutex<Vec<String>>,
    fail_first: bool,
    cancel_after_first_photo: Option<Arc<CancelToken>>,
}

impl Listener {
    fn new(fail_first: bool, cancel_after_first_photo: Option<Arc<CancelToken>>) -> Arc<Self> {
        Arc::new(Listener { heard: Mutex::default(), fail_first, cancel_after_first_photo })
    }
}

impl ProgressListener for Listener {
    fn on_progress(&self, _done: u32, _total: u32, item: String) -> Result<(), ProgressError> {
        self.heard.lock().expect("lock").push(item.clone());
        if self.fail_first {
            return Err(ProgressError::Failed { reason: format!("the sync screen closed after {item:?}") });
        }
        if let Some(cancel) = &self.cancel_after_first_photo
            && item.starts_with("photo 1 of")
        {
            cancel.cancel();
        }
        Ok(())
    }
}

#[test]
fn the_app_stops_a_sync_and_keeps_what_was_done() {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb) = (token(dir.path(), None, "P1"), token(dir.path(), None, "P1"));
    let server = start_with(dir.path(), None);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let a = open_phone(dir.path(), "li");
    let report = a
        .create_progress_report(
            place(),
            ProgressInput {
                date: site_today(),
                activity: "A-POUR-L3".into(),
                measure: ProgressMeasure::Percent { percent: "60".into() },
                caption: None,
            },
        )
        .expect("report");
    let id = report.info.id.clone();
    // The report reaches the server first: from then on a sync's first round carries the changes.
    rt.block_on(a.sync(base.clone(), ta.clone(), None, None)).expect("first sync");
    let cam = dir.path().join("camera");
    std::fs::create_dir_all(&cam).expect("camera dir");
    for k in 0..3 {
        let path = write(&cam, &format!("IMG_{k}.jpg"), &jpeg(640, 480, 20 + k, false));
        rt.block_on(a.attach_photo(id.clone(), path, PhotoContext::default())).expect("attach");
    }

    // The listener throws after round 1: the sync stops with the app's reason, before any photo.
    let failing = Listener::new(true, None);
    match rt.block_on(a.sync(base.clone(), ta.clone(), Some(failing.clone() as Arc<dyn ProgressListener>), None)) {
        Err(CoreError::ListenerFailed { reason }) => assert!(reason.contains("sync screen closed"), "{reason}"),
        other => panic!("expected ListenerFailed, got {other:?}"),
    }
    let heard = failing.heard.lock().expect("lock").clone();
    assert_eq!(heard.len(), 1, "called once, then stopped: {heard:?}");
    assert!(heard[0].starts_with("round 1:"), "{heard:?}");
    assert_eq!(a.unsynced().expect("unsynced").photos, 3, "no photo went up");
    // Round 1 stays done: the report's three photo references are on the server, another phone gets them.
    let b = open_phone(dir.path(), "wang");
    rt.block_on(b.sync(base.clone(), tb, None, None)).expect("b syncs");
    assert_eq!(b.get_progress_report(id.clone()).expect("report on b").photos.len(), 3);

    // The app cancels once the first photo is up: the sync stops there, the first photo stays uploaded.
    let cancel = Arc::new(CancelToken::new());
    let listener = Listener::new(false, Some(cancel.clone()));
    match rt.block_on(a.sync(
        base.clone(),
        ta.clone(),
        Some(listener.clone() as Arc<dyn ProgressListener>),
        Some(cancel.clone()),
    )) {
        Err(CoreError::Cancelled) => {}
        other => panic!("expected Cancelled, got {other:?}"),
    }
    assert!(cancel.is_cancelled());
    let heard = listener.heard.lock().expect("lock").clone();
    assert_eq!(heard.iter().filter(|i| i.starts_with("photo ")).count(), 1, "{heard:?}");
    assert_eq!(a.pending_uploads().expect("pending").len(), 2, "one photo uploaded, two left");

    // The next sync carries on with the rest.
    let r = rt.block_on(a.sync(base, ta, None, None)).expect("sync");
    assert_eq!(r.photos_uploaded, 2, "{r:?}");
    assert_eq!(a.unsynced().expect("unsynced"), Unsynced { records: 0, photos: 0 });
}
