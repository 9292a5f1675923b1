//! Photo previews on a foreman's phone (issue 25: the store after a month, docs/sync-scopes.md §4):
//! the phone library against the real server binary. The preview of an own photo goes once its
//! record is approved and older than the window (the thumbnail stays), a preview within the window
//! stays, `fetch_photo` brings a dropped preview back from the server, a colleague's photo (whose
//! files never come with sync) is fetched on demand, and bad or offline fetches change nothing.

mod common;

use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use common::api::approve_current;
use common::*;
use fieldledger_tests::blobkit::jpeg;
use fieldledger_tests::phone_core::{open_phone, sync_paired};
use mobile_core::CoreError;
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn days_ago(n: u64) -> String {
    today().checked_sub_days(Days::new(n)).expect("date").to_string()
}

/// A progress report of site S1 on `date` with one real 1600×1200 photo; (record id, photo).
fn report_with_photo(
    rt: &tokio::runtime::Runtime,
    phone: &FieldStore,
    dir: &Path,
    date: &str,
    seed: u32,
) -> (String, Photo) {
    let place = RecordPlace { project_id: "P1".into(), site_id: "S1".into(), time_zone: Some("Asia/Shanghai".into()) };
    let input = ProgressInput {
        date: date.into(),
        activity: "A1".into(),
        measure: ProgressMeasure::Percent { percent: "40".into() },
        caption: Some("三层模板".into()),
    };
    let id = phone.create_progress_report(place, input).expect("progress").info.id;
    let path = dir.join(format!("IMG_{seed}.jpg"));
    std::fs::write(&path, jpeg(1600, 1200, seed, true)).expect("camera file");
    let photo = rt
        .block_on(phone.attach_photo(id.clone(), path.display().to_string(), PhotoContext::default()))
        .expect("attach");
    (id, photo)
}

fn photo_of(phone: &FieldStore, id: &str) -> Photo {
    let mut photos = phone.get_progress_report(id.into()).expect("report").photos;
    assert_eq!(photos.len(), 1);
    photos.remove(0)
}

fn dimensions(path: &str) -> (u32, u32) {
    image::image_dimensions(path).expect("a readable JPEG")
}

#[test]
fn previews_of_settled_old_own_photos_leave_the_phone_and_come_back_on_demand() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let url = None;
    let colleague_token = token(d, url, "P1");
    let sup = token_as(d, url, "P1", "supervisor");
    let wang = add_foreman_wang(d, url);
    set_sites(d, url, &wang, &["S1"]);
    let server = start_with(d, url);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    let phone = paired_phone(&rt, d, url, &base, &wang, "wang");

    // 王 records an old day (20 days ago, outside the 14-day window) and today, each with a photo.
    let (old, old_photo) = report_with_photo(&rt, &phone, d, &days_ago(20), 1);
    let (recent, recent_photo) = report_with_photo(&rt, &phone, d, &today().to_string(), 2);
    for p in [&old_photo, &recent_photo] {
        assert!(p.thumbnail_on_phone && p.preview_on_phone, "{p:?}");
    }
    let preview_size = dimensions(&old_photo.preview_path);
    assert_eq!(preview_size, (1280, 960));
    let r = sync_paired(&rt, &phone);
    assert_eq!(r.photos_uploaded, 2, "{r:?}");

    // Open (waiting for approval): both previews stay, whatever the date. (A changed window setting
    // makes the phone plan again, as a new day does.)
    exec_sql(
        d,
        url,
        "INSERT INTO projects (id, name, currency, updated_at_ms) VALUES ('P1', 'P1', 'CNY', 0) \
         ON CONFLICT (id) DO NOTHING",
    );
    exec_sql(d, url, "UPDATE projects SET scope_window_days = 13 WHERE id = 'P1'");
    sync_paired(&rt, &phone);
    assert!(photo_of(&phone, &old).preview_on_phone, "an open record keeps its preview");

    // Approved: the old record's preview goes at the next plan (a new day, or here a new setting);
    // the record and its thumbnail stay (own records are kept), the recent one keeps everything.
    for id in [&old, &recent] {
        approve_current(&server.addr, &sup, id);
    }
    sync_paired(&rt, &phone);
    exec_sql(d, url, "UPDATE projects SET scope_window_days = 14 WHERE id = 'P1'");
    sync_paired(&rt, &phone);
    let gone = photo_of(&phone, &old);
    assert!(!gone.preview_on_phone && gone.thumbnail_on_phone, "{gone:?}");
    assert!(!Path::new(&gone.preview_path).exists());
    assert!(Path::new(&gone.thumbnail_path).is_file());
    assert!(photo_of(&phone, &recent).preview_on_phone, "within the window: kept");

    // Bad input and no connection: typed errors, nothing written.
    let bad = rt.block_on(phone.fetch_photo("P1".into(), "not-a-hash".into(), PhotoSize::Preview));
    assert!(matches!(&bad, Err(CoreError::InvalidInput { field, .. }) if field == "sha256"), "{bad:?}");
    let unknown = rt.block_on(phone.fetch_photo("P1".into(), "ab".repeat(32), PhotoSize::Preview));
    assert!(matches!(unknown, Err(CoreError::NotFound { .. })), "{unknown:?}");
    let offline = rt.block_on(phone.fetch_photo_with(
        "http://127.0.0.1:9".into(),
        "token".into(),
        gone.sha256.clone(),
        PhotoSize::Preview,
    ));
    assert!(matches!(offline, Err(CoreError::Offline { .. })), "{offline:?}");
    assert!(!photo_of(&phone, &old).preview_on_phone);

    // On demand: the server's preview, where the phone keeps previews, the size the phone made.
    let path = rt.block_on(phone.fetch_photo("P1".into(), gone.sha256.clone(), PhotoSize::Preview)).expect("fetch");
    assert_eq!(path, gone.preview_path);
    assert_eq!(dimensions(&path), preview_size);
    assert!(photo_of(&phone, &old).preview_on_phone);

    // A colleague's photo of today on 王's site: the record comes with sync, its files do not;
    // both come on demand.
    let li = open_phone(d, "li");
    let (theirs, _) = report_with_photo(&rt, &li, d, &today().to_string(), 3);
    let r = rt.block_on(li.sync(base.clone(), colleague_token.clone(), None, None)).expect("colleague syncs");
    assert_eq!((r.errors.len(), r.photos_uploaded), (0, 1), "{r:?}");
    sync_paired(&rt, &phone);
    let photo = photo_of(&phone, &theirs);
    assert!(!photo.thumbnail_on_phone && !photo.preview_on_phone, "{photo:?}");
    let thumb = rt.block_on(phone.fetch_photo("P1".into(), photo.sha256.clone(), PhotoSize::Thumbnail)).expect("thumb");
    assert_eq!(thumb, photo.thumbnail_path);
    let (w, h) = dimensions(&thumb);
    assert!(w.max(h) <= 320 && w > h, "{w}×{h}");
    rt.block_on(phone.fetch_photo("P1".into(), photo.sha256.clone(), PhotoSize::Preview)).expect("preview");
    let photo = photo_of(&phone, &theirs);
    assert!(photo.thumbnail_on_phone && photo.preview_on_phone);
    assert_eq!(dimensions(&photo.preview_path), (1280, 960));
}
