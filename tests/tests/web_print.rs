//! Print views (issue 19): a 点工单 and an approval on A4 with a signature block (施工员 / 项目经理 /
//! 日期), in the page language, without navigation or forms; and the day's photo gallery. Data is
//! written and synced by the real phone library. HTTP for the contents; Chromium screenshots at
//! 1440 and 390 px in both languages (`<target>/screens/print-*.png`, `photos-*.png`).

use std::sync::Arc;

use fieldledger_tests::api::{decide_current, import_reference};
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::records::{reference_workbook, site_today};
use fieldledger_tests::webkit::{self, Browser, http};
use fieldledger_tests::*;
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::{EffortUnit, GeoPoint, PhotoContext, ProgressInput, ProgressMeasure, Worker};

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
    _phone: Arc<FieldStore>,
    sheet: String,
}

/// A sheet of today: 6 carpenters of 张班 (8 h at 47.50 = 2,280.00) and 3 named steel fixers for
/// 2.5 days at 360 (2,700.00), approved with a comment.
fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    import_reference(&server.addr, &admin, &reference_workbook());
    let phone = open_phone(dir.path(), "王建国");
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(sheet.clone(), carpenters(6)).expect("line 1");
    let mut steel = carpenters(3);
    steel.trade = "钢筋工".into();
    steel.crew = Some("李班".into());
    steel.effort_unit = EffortUnit::Days;
    steel.effort = "2.5".into();
    steel.rate = "360".into();
    steel.workers = ["张三", "李四", "王五"]
        .iter()
        .map(|n| Worker { name: n.to_string(), id_number: None, worker_id: None })
        .collect();
    phone.add_crew_line(sheet.clone(), steel).expect("line 2");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // A progress report of the day with two photos, one with its place.
    let progress = phone
        .create_progress_report(
            fieldledger_tests::phone_core::place(),
            ProgressInput {
                date: site_today(),
                activity: "A1".into(),
                measure: ProgressMeasure::Percent { percent: "40".into() },
                caption: Some("三层模板".into()),
            },
        )
        .expect("report")
        .info
        .id;
    for (k, location) in
        [(0, Some(GeoPoint { latitude: 31.230416, longitude: 121.473701, accuracy_m: Some(8.0) })), (1, None)]
    {
        let path = dir.path().join(format!("IMG_{k}.jpg"));
        std::fs::write(&path, fieldledger_tests::blobkit::jpeg(800, 600, k, false)).expect("photo file");
        let context = PhotoContext { captured_at_ms: None, location };
        rt.block_on(phone.attach_photo(progress.clone(), path.display().to_string(), context)).expect("attach");
    }
    let report = rt.block_on(phone.sync(format!("http://{}", server.addr), foreman, None, None)).expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.photos_uploaded, 2, "{report:?}");
    decide_current(&server.addr, &sup, &sheet, "approve", "两班人数已核对");
    World { _dir: dir, server, sup, _phone: phone, sheet }
}

fn page(w: &World, path: &str, lang: &str) -> String {
    let r = webkit::sign_in(&w.server.addr, &w.sup, "%2Fweb%2Fqueue");
    let cookie = format!("{}; fl_lang={lang}", webkit::session_of(&r));
    let r = http(&w.server.addr, "GET", path, &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text()
}

fn no_navigation_or_forms(html: &str) {
    for tag in ["<nav", "<form", "<input", "<button", "<script"] {
        assert!(!html.contains(tag), "a print view has no {tag}: {html}");
    }
}

#[test]
fn print_views_hold_the_sheet_the_decision_and_the_signature_block() {
    let w = world();
    let zh = page(&w, &format!("/web/records/{}/print", w.sheet), "zh-CN");
    no_navigation_or_forms(&zh);
    for text in [
        "点工单",
        "东区工地",
        &site_today(),
        "王建国",
        "木工",
        "张班",
        "钢筋工",
        "张三、李四、王五",
        "¥47.50/小时",
        "¥360.00/工日",
        "¥2,280.00",
        "¥2,700.00",
        "¥4,980.00",
        "13.5",
        "施工员",
        "项目经理",
        "签字",
        "两班人数已核对",
        "已批准",
    ] {
        assert!(zh.contains(text), "{text} missing: {zh}");
    }
    // Totals: 9 people, 6 + 7.5 = 13.5 worker-days.
    assert!(zh.contains("<th class=\"num\">9</th>"), "{zh}");
    let en = page(&w, &format!("/web/records/{}/print", w.sheet), "en");
    no_navigation_or_forms(&en);
    for text in ["Day-labour sheet", "Site engineer", "Project manager", "Signature", "CN¥4,980.00", "/worker-day"] {
        assert!(en.contains(text), "{text} missing: {en}");
    }
    let approval = page(&w, &format!("/web/records/{}/print/approval", w.sheet), "zh-CN");
    no_navigation_or_forms(&approval);
    for text in ["审批单", "已批准", "两班人数已核对", "生产经理", "施工员", "项目经理", "¥4,980.00"]
    {
        assert!(approval.contains(text), "{text} missing: {approval}");
    }
    let en = page(&w, &format!("/web/records/{}/print/approval?seq=1", w.sheet), "en");
    assert!(en.contains("Approval record") && en.contains("Approved") && en.contains("Decided by"), "{en}");
    // A decision that does not exist is a clear 404 page, not a crash.
    let r = webkit::sign_in(&w.server.addr, &w.sup, "%2Fweb%2Fqueue");
    let cookie = webkit::session_of(&r);
    let r = http(
        &w.server.addr,
        "GET",
        &format!("/web/records/{}/print/approval?seq=9", w.sheet),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(r.status, 404);
    // The day's photos: both, with time, place and map link, each linking to its record.
    let photos = page(&w, &format!("/web/photos?date={}", site_today()), "zh-CN");
    assert!(photos.contains("2 张照片"), "{photos}");
    assert_eq!(photos.matches("/thumbnail?upright\"").count(), 2, "{photos}");
    assert!(photos.contains("31.23042, 121.47370 (±8 m)"), "{photos}");
    assert!(photos.contains("https://www.openstreetmap.org/?mlat=31.230416&#38;mlon=121.473701"), "{photos}");
    assert!(photos.contains("未记录位置") && photos.contains("北京时间") && photos.contains("三层模板"), "{photos}");
    assert!(photos.contains("/web/records/"), "{photos}");
    let other_day = page(&w, "/web/photos?date=2020-01-01", "en");
    assert!(other_day.contains("No photos on this day."), "{other_day}");
    let r = http(&w.server.addr, "GET", "/web/photos?date=yesterday", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 400, "a bad date is a clear page: {}", r.text());
    assert!(!r.text().contains("panicked"));
    // The stylesheet prints A4 portrait without the page frame.
    let css = http(&w.server.addr, "GET", "/web/static/app.css", &[], b"").text();
    assert!(css.contains("size: A4 portrait") && css.contains("@media print"), "print CSS served");
}

#[test]
fn print_views_in_chromium() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED print_views_in_chromium: no chromium/chromedriver");
        return;
    }
    let w = world();
    let base = format!("http://{}", w.server.addr);
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#lang-switch");
    for lang in ["zh-CN", "en"] {
        let tag = if lang == "en" { "en" } else { "zh" };
        for (path, name) in [
            (format!("/web/records/{}/print", w.sheet), "sheet"),
            (format!("/web/records/{}/print/approval", w.sheet), "approval"),
        ] {
            b.resize(1440, 900);
            b.goto(&format!("{base}/web/lang?to={lang}&back={}", path.replace('/', "%2F")));
            b.wait_for("#print-sign");
            assert!(!b.exists("header.top") && !b.exists("form"), "no frame or forms");
            let sign = b.text("#print-sign");
            let words = if lang == "en" { ["Site engineer", "Project manager"] } else { ["施工员", "项目经理"] };
            assert!(words.iter().all(|w| sign.contains(w)), "{sign}");
            b.screenshot(&format!("print-{name}-{tag}-1440"));
            b.resize(390, 844);
            b.screenshot(&format!("print-{name}-{tag}-390"));
            let width = b.script("return document.documentElement.scrollWidth;");
            assert!(width.as_i64().is_some_and(|x| x <= 390), "{name} scrolls sideways at 390: {width}");
        }
        b.resize(1440, 900);
        b.goto(&format!(
            "{base}/web/lang?to={lang}&back={}",
            format!("/web/photos?date={}", site_today()).replace('/', "%2F").replace('?', "%3F").replace('=', "%3D")
        ));
        b.wait_for("#photos-grid");
        assert_eq!(b.text("#photos-count"), if lang == "en" { "2 photos" } else { "2 张照片" });
        b.screenshot(&format!("photos-day-{tag}-1440"));
        b.resize(390, 844);
        b.screenshot(&format!("photos-day-{tag}-390"));
    }
}
