//! The daily reports' screens (issue 23): a day recorded on the real phone library (a labour sheet
//! of two crews, approved; a progress report with two photos; an expense and a day log, pending)
//! shows in the month calendar with its counts and opens as the printable report with the labour
//! total, 工日, the photos, the weather and the pending rows marked, in English and Chinese. The PDF
//! served to the signed-in browser holds the same figures (`pdftotext`) and its pages render
//! (`pdftoppm`, PNGs under `<target>/screens/`). A bad month or date is a 400 page in the page's
//! language. Screenshots of both pages at 1440 and 390 px in both languages
//! (`<target>/screens/daily-*.png`).

mod common;
mod webkit;

use std::process::Command;
use std::sync::Arc;

use common::*;
use fieldledger_tests::api::{decide_current, import_reference};
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone, place};
use fieldledger_tests::records::{reference_workbook, site_today};
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::{
    DayLogInput, DelayCause, DelayInput, EffortUnit, ExpenseInput, GeoPoint, PhotoContext, ProgressInput,
    ProgressMeasure, VisitorInput, WeatherCondition, Worker,
};
use webkit::{Browser, browser_available, http, screenshot_dir, session_of, sign_in};

struct World {
    _dir: tempfile::TempDir,
    server: Server,
    sup: String,
    _phone: Arc<FieldStore>,
    today: String,
}

/// Today on site S1 (东区工地): 6 carpenters of 张班 (8 h at 47.50 = 2,280.00) and 3 steel fixers of
/// 李班 for 2.5 days at 360 (2,700.00), approved; 40% of A1 with two photos; an expense of 1,280.50
/// and the day log (sunny then cloudy, 3–12 ℃, a visitor, 1.5 h lost to rain), not decided.
fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    import_reference(&server.addr, &admin, &reference_workbook());
    let phone = open_phone(dir.path(), "王建国");
    let today = site_today();
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
    let progress = phone
        .create_progress_report(
            place(),
            ProgressInput {
                date: today.clone(),
                activity: "A1".into(),
                measure: ProgressMeasure::Percent { percent: "40".into() },
                caption: Some("三层模板东侧完成".into()),
            },
        )
        .expect("report")
        .info
        .id;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for (k, location) in
        [(0, Some(GeoPoint { latitude: 31.230416, longitude: 121.473701, accuracy_m: Some(8.0) })), (1, None)]
    {
        let path = dir.path().join(format!("IMG_{k}.jpg"));
        std::fs::write(&path, fieldledger_tests::blobkit::jpeg(800, 600, k, false)).expect("photo file");
        let context = PhotoContext { captured_at_ms: None, location };
        rt.block_on(phone.attach_photo(progress.clone(), path.display().to_string(), context)).expect("attach");
    }
    phone
        .create_expense(
            place(),
            ExpenseInput {
                date: today.clone(),
                amount: "1280.50".into(),
                currency: None,
                category: "materials".into(),
                vendor: Some("上海建材".into()),
                cost_code: "03-100".into(),
                note: None,
            },
        )
        .expect("expense");
    phone
        .create_day_log(
            place(),
            DayLogInput {
                date: today.clone(),
                weather_am: Some(WeatherCondition::Sunny),
                weather_pm: Some(WeatherCondition::Cloudy),
                temp_low_c: Some("3".into()),
                temp_high_c: Some("12".into()),
                notes: Some("混凝土试块3组已留置".into()),
                visitors: vec![VisitorInput {
                    id: None,
                    name: "陈工".into(),
                    organisation: Some("监理公司".into()),
                    purpose: Some("钢筋隐蔽验收".into()),
                }],
                delays: vec![DelayInput {
                    id: None,
                    cause: DelayCause::Weather,
                    hours: "1.5".into(),
                    description: Some("午后小雨".into()),
                }],
            },
        )
        .expect("day log");
    let report = rt.block_on(phone.sync(format!("http://{}", server.addr), foreman, None, None)).expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.photos_uploaded, 2, "{report:?}");
    decide_current(&server.addr, &sup, &sheet, "approve", "两班人数已核对");
    World { _dir: dir, server, sup, _phone: phone, today }
}

fn cookie(w: &World, lang: &str) -> String {
    let r = sign_in(&w.server.addr, &w.sup, "%2Fweb%2Fqueue");
    format!("{}; fl_lang={lang}", session_of(&r))
}

fn get(w: &World, path: &str, lang: &str) -> (u16, String) {
    let r = http(&w.server.addr, "GET", path, &[("Cookie", &cookie(w, lang))], b"");
    (r.status, r.text())
}

fn has_all(html: &str, texts: &[&str]) {
    for t in texts {
        assert!(html.contains(t), "{t:?} missing: {html}");
    }
}

#[test]
fn the_day_shows_in_the_calendar_as_a_page_and_as_a_pdf() {
    let w = world();
    let month = &w.today[..7];
    let day_path = format!("/web/daily-reports/S1/{}", w.today);

    // The calendar: today's cell links to the day with 4 records, 3 of them waiting.
    let (status, en) = get(&w, &format!("/web/daily-reports?month={month}"), "en");
    assert_eq!(status, 200, "{en}");
    let cell = en.split(&format!(r#"id="dr-day-{}""#, w.today)).nth(1).expect("today's cell");
    let cell = cell.split("</td>").next().unwrap_or_default();
    has_all(cell, &[&format!(r#"href="{day_path}""#), "东区工地", "4 records", "3 pending"]);
    let (_, zh) = get(&w, &format!("/web/daily-reports?month={month}&site=S1"), "zh-CN");
    has_all(&zh, &["4 条记录", "3 条待审批", "周一", &format!(r#"id="dr-list-{}""#, w.today)]);
    // Another site has nothing that day.
    let (_, other) = get(&w, &format!("/web/daily-reports?month={month}&site=S9"), "en");
    assert!(!other.contains(&day_path), "{other}");

    // The day: labour by crew with the total, progress with photos, weather, pending rows marked.
    let (status, zh) = get(&w, &day_path, "zh-CN");
    assert_eq!(status, 200, "{zh}");
    has_all(
        &zh,
        &[
            "施工日志",
            "东区工地",
            "木工",
            "张班",
            "钢筋工",
            "李班",
            "¥2,280.00",
            "¥2,700.00",
            "¥4,980.00",
            "13.5",
            "累计完成 40%",
            "三层模板东侧完成",
            "上午 晴、下午 多云、3～12℃",
            "陈工",
            "监理公司",
            "午后小雨",
            "混凝土试块3组已留置",
            "¥1,280.50",
            "待审批",
            "已批准",
            "记录人",
            "审核人",
            "31.2304, 121.4737",
            "北京时间",
            "第 1 版",
            "PDF 中文",
        ],
    );
    // The total row: 9 workers, 13.5 工日, ¥4,980.00.
    let labour = zh.split(r#"id="dr-labour""#).nth(1).expect("labour").split("</section>").next().unwrap_or_default();
    let total =
        labour.split(r#"class="dr-total""#).nth(1).expect("total row").split("</tr>").next().unwrap_or_default();
    has_all(total, &["合计", ">9<", ">13.5<", ">¥4,980.00<"]);
    // The expense is not approved: its row is muted and says so.
    let expenses = zh.split(r#"id="dr-expenses""#).nth(1).expect("expenses");
    let muted =
        expenses.split(r#"class="dr-muted""#).nth(1).expect("a muted row").split("</tr>").next().unwrap_or_default();
    has_all(muted, &["¥1,280.50", "待审批"]);
    // Both photos' thumbnails, through the session's photo route; no empty section vanished.
    assert_eq!(zh.matches(r#"/thumbnail?upright" alt="#).count(), 2, "{zh}");
    let observations = zh.split(r#"id="dr-observations""#).nth(1).expect("issues section");
    assert!(observations.split("</section>").next().unwrap_or_default().contains("无。"), "{observations}");
    let thumb = zh.split(r#"<img src=""#).nth(1).and_then(|s| s.split('"').next()).expect("img").to_string();
    let r = http(&w.server.addr, "GET", &thumb, &[("Cookie", &cookie(&w, "en"))], b"");
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/jpeg")), "{thumb}");

    let (_, en) = get(&w, &day_path, "en");
    has_all(
        &en,
        &[
            "Daily site report",
            "CN¥4,980.00",
            "40% complete",
            "morning sunny, afternoon cloudy, 3–12 ℃",
            "Pending",
            "Beijing time",
            "Recorded by",
        ],
    );
    // Opening it again makes no new version.
    let (_, again) = get(&w, &day_path, "en");
    assert!(again.contains(r#"id="dr-version-1""#) && !again.contains(r#"id="dr-version-2""#), "{again}");

    // Bad input: a page in the page's language, not a 500.
    let (status, bad) = get(&w, "/web/daily-reports?month=2026-13", "zh-CN");
    assert_eq!(status, 400, "{bad}");
    assert!(bad.contains("月份") && bad.contains("YYYY-MM"), "{bad}");
    let (status, bad) = get(&w, "/web/daily-reports/S1/2026-02-30", "en");
    assert_eq!(status, 400, "{bad}");
    assert!(bad.contains("YYYY-MM-DD"), "{bad}");
    let (status, none) = get(&w, "/web/daily-reports/S1/2020-01-01", "en");
    assert_eq!(status, 404, "{none}");
    assert!(none.contains("No records on this day"), "{none}");
    let (status, _) = get(&w, &format!("{day_path}?version=7"), "en");
    assert_eq!(status, 404);

    // The PDF for the browser's session, in both languages.
    let shots = screenshot_dir();
    std::fs::create_dir_all(&shots).expect("screens dir");
    for (lang, want) in [
        ("zh-CN", &["施工日志", "东区工地", "¥4,980.00", "13.5", "累计完成 40%", "待审批", "第 1 页"][..]),
        ("en", &["Daily site report", "CN¥4,980.00", "13.5", "40% complete", "Pending", "Page 1 of"][..]),
    ] {
        let r =
            http(&w.server.addr, "GET", &format!("{day_path}/pdf?lang={lang}"), &[("Cookie", &cookie(&w, "en"))], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert_eq!(r.header("x-report-version"), Some("1"));
        assert!(r.body.starts_with(b"%PDF"), "a PDF");
        let file = shots.join(format!("daily-report-{lang}.pdf"));
        std::fs::write(&file, &r.body).expect("write PDF");
        let text = Command::new("pdftotext").args(["-layout"]).arg(&file).arg("-").output().expect("pdftotext");
        let text = String::from_utf8_lossy(&text.stdout).to_string();
        // pdftotext drops the spaces between CJK characters ("第1页/共2页"): compared without spaces.
        let bare = text.replace(' ', "");
        for t in want {
            assert!(bare.contains(&t.replace(' ', "")), "{t:?} missing from the {lang} PDF: {text}");
        }
        let prefix = shots.join(format!("daily-pdf-{lang}"));
        let done =
            Command::new("pdftoppm").args(["-r", "60", "-png"]).arg(&file).arg(&prefix).status().expect("pdftoppm");
        assert!(done.success(), "pdftoppm renders the {lang} PDF");
    }
    let r = http(&w.server.addr, "GET", &format!("{day_path}/pdf?lang=fr"), &[("Cookie", &cookie(&w, "en"))], b"");
    assert_eq!(r.status, 400, "{}", r.text());
    // Signed out: to the sign-in page, not the file.
    let r = http(&w.server.addr, "GET", &format!("{day_path}/pdf?lang=en"), &[], b"");
    assert_eq!(r.status, 303);

    // The browser at desktop and phone widths, both languages.
    if !browser_available() {
        eprintln!("SKIPPED daily report screenshots: no chromium or chromedriver (scripts/test-setup.sh)");
        return;
    }
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("nav");
    for (lang, label) in [("en", "en"), ("zh-CN", "zh")] {
        let calendar = format!("/web/daily-reports?month={month}");
        b.goto(&format!("{base}/web/lang?to={lang}&back={}", webkit::form_encode(&calendar)));
        b.wait_for("#dr-cal");
        let count = b.text(&format!("#dr-day-{} .dr-entry-count", w.today));
        assert_eq!(count, if lang == "en" { "4 records" } else { "4 条记录" });
        b.resize(1440, 900);
        b.screenshot(&format!("daily-calendar-{label}-1440"));
        b.resize(390, 844);
        let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
        assert_eq!(fits, serde_json::Value::Bool(true), "the calendar fits 390 px");
        assert!(b.exists(&format!("#dr-list-{}", w.today)), "the list under the grid at 390 px");
        b.screenshot(&format!("daily-calendar-{label}-390"));
        b.resize(1440, 900);
        b.click(&format!("#dr-day-{} a.dr-entry", w.today));
        b.wait_for("#dr-sheet");
        assert!(b.url().ends_with(&day_path), "{}", b.url());
        assert!(b.exists("#dr-print:not([hidden])"), "the print button shows with the script");
        let total = b.text("#dr-labour tr.dr-total");
        assert!(total.contains("13.5") && total.contains("4,980.00"), "{total}");
        // The thumbnails loaded (not broken images).
        let loaded = b.script("return Array.from(document.querySelectorAll('.dr-photo img')).filter(i => i.complete && i.naturalWidth > 0).length;");
        assert_eq!(loaded, serde_json::json!(2));
        b.screenshot(&format!("daily-day-{label}-1440"));
        b.resize(390, 844);
        let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
        assert_eq!(fits, serde_json::Value::Bool(true), "the day fits 390 px");
        b.screenshot(&format!("daily-day-{label}-390"));
        b.resize(1440, 900);
    }
}
