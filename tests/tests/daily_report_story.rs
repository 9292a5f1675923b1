//! A foreman's day as a daily report (施工日志, issue 23), from the phone library to a PDF and back to
//! the phone, through the real server binary (SQLite): the foreman records the day offline — a
//! labour sheet of two named crews, a progress report with two photos (with GPS), an expense, an
//! observation and the day log with the weather — and syncs (the photos upload). The phone then
//! fetches the day's PDF in Chinese and in English (`fetch_daily_report_with`); `pdftotext` finds
//! the day's figures in each (headcount, 工日, costs to the cent, the activity, the weather, the
//! observation), and `pdftoppm` renders its pages to `target/daily-report-story/` for a person to
//! look at. Asking again costs no download (the server's 304 on the kept ETag); a supervisor's
//! approval makes version 2, which the next fetch brings; with the server gone the phone answers
//! the kept file (`from_cache`), and a day without records is `NoDailyReport`.

use std::path::{Path, PathBuf};
use std::process::Command;

use fieldledger_tests::api::{approve_current, import_reference};
use fieldledger_tests::blobkit;
use fieldledger_tests::phone_core::{new_sheet, open_phone, place};
use fieldledger_tests::records::{reference_workbook, site_today};
use fieldledger_tests::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;

/// Where the rendered pages go, for a person to look at: `target/daily-report-story/`.
fn pages_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target folder").to_path_buf();
    let dir = target.join("daily-report-story");
    std::fs::create_dir_all(&dir).expect("pages folder");
    dir
}

/// The PDF's text (`pdftotext -layout`), and the same with spaces and thousands separators taken
/// out, so a figure is found however the table lays it out.
fn pdf_text(pdf: &Path) -> (String, String) {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: poppler-utils; scripts/test-setup.sh installs it)");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8 text");
    let squeezed = text.chars().filter(|c| !c.is_whitespace() && *c != ',').collect();
    (text, squeezed)
}

/// Renders every page at 50 dpi to `<dir>/<stem>-N.png`; the pages written.
fn render_pages(pdf: &Path, stem: &str) -> Vec<PathBuf> {
    let dir = pages_dir();
    for old in std::fs::read_dir(&dir).expect("pages folder").flatten() {
        if old.file_name().to_string_lossy().starts_with(&format!("{stem}-")) {
            std::fs::remove_file(old.path()).expect("remove an old page");
        }
    }
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-png"])
        .arg(pdf)
        .arg(dir.join(stem))
        .status()
        .expect("pdftoppm (Debian: poppler-utils)");
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("pages folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{stem}-"))))
        .collect();
    pages.sort();
    pages
}

fn assert_holds(squeezed: &str, text: &str, what: &str, wanted: &str) {
    let w: String = wanted.chars().filter(|c| !c.is_whitespace() && *c != ',').collect();
    assert!(squeezed.contains(&w), "the PDF does not show {what} ({wanted}):\n{text}");
}

fn crew(
    trade: &str,
    crew: &str,
    names: &[&str],
    unit: EffortUnit,
    effort: &str,
    rate: &str,
    code: &str,
) -> CrewLineInput {
    CrewLineInput {
        trade: trade.into(),
        crew: Some(crew.into()),
        headcount: names.len() as i64,
        effort_unit: unit,
        effort: effort.into(),
        rate: rate.into(),
        cost_code: code.into(),
        activity: Some(if code == "03-100" { "A1" } else { "A2" }.into()),
        note: None,
        workers: names.iter().map(|n| Worker { name: (*n).into(), id_number: None, worker_id: None }).collect(),
        rate_unit: None,
    }
}

#[test]
fn a_day_recorded_on_the_phone_comes_back_as_its_daily_report_pdf() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    import_reference(&addr, &admin, &reference_workbook());

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "王建国");
    let base = format!("http://{addr}");
    let today = site_today();
    let sync = || {
        let r = rt.block_on(phone.sync(base.clone(), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        r
    };
    sync();

    // The day, offline. Carpenters: 4 × 9 h at 47.55/h = 1,711.80 and 4.5 工日 (8 h a day);
    // rebar fixers: 3 × 1 day at 360/day = 1,080.00 and 3 工日. Together 7 people, 7.5 工日, 2,791.80.
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet");
    let carpenters = ["张三丰", "李四海", "王五岳", "赵六合"];
    let fixers = ["刘德明", "陈志远", "周海涛"];
    phone
        .add_crew_line(
            sheet.info.id.clone(),
            crew("木工", "张班", &carpenters, EffortUnit::Hours, "9", "47.55", "03-100"),
        )
        .expect("carpenters");
    phone
        .add_crew_line(sheet.info.id.clone(), crew("钢筋工", "李班", &fixers, EffortUnit::Days, "1", "360", "03-200"))
        .expect("rebar fixers");

    let progress = phone
        .create_progress_report(
            place(),
            ProgressInput {
                date: today.clone(),
                activity: "A1".into(),
                measure: ProgressMeasure::Percent { percent: "35".into() },
                caption: Some("三层模板支设过半".into()),
            },
        )
        .expect("progress report");
    for (n, seed) in [(1, 7u32), (2, 11)] {
        let shot = dir.path().join(format!("formwork-{n}.jpg"));
        std::fs::write(&shot, blobkit::jpeg(1600, 1200, seed, false)).expect("photo file");
        let at = GeoPoint { latitude: 31.2304, longitude: 121.4737, accuracy_m: Some(6.0) };
        rt.block_on(phone.attach_photo(
            progress.info.id.clone(),
            shot.display().to_string(),
            PhotoContext { captured_at_ms: None, location: Some(at) },
        ))
        .expect("attach photo");
    }

    let expense = phone
        .create_expense(
            place(),
            ExpenseInput {
                date: today.clone(),
                amount: "1280.50".into(),
                currency: None,
                category: "materials".into(),
                vendor: Some("鑫源建材".into()),
                cost_code: "03-100".into(),
                note: Some("模板木方".into()),
            },
        )
        .expect("expense");

    phone
        .create_observation(
            place(),
            ObservationInput {
                date: today.clone(),
                category: ObservationCategory::Safety,
                severity: Severity::High,
                title: "3#楼5层临边无防护".into(),
                description: Some("东侧临边护栏缺失约6米".into()),
                place: Some("3#楼5层东侧".into()),
                gps: None,
                activity: Some("A1".into()),
            },
        )
        .expect("observation");

    phone
        .create_day_log(
            place(),
            DayLogInput {
                date: today.clone(),
                weather_am: Some(WeatherCondition::Sunny),
                weather_pm: Some(WeatherCondition::LightRain),
                temp_low_c: Some("12.5".into()),
                temp_high_c: Some("21".into()),
                notes: Some("班前安全交底已完成".into()),
                visitors: vec![VisitorInput {
                    id: None,
                    name: "赵工".into(),
                    organisation: Some("华建监理".into()),
                    purpose: Some("钢筋隐蔽工程验收".into()),
                }],
                delays: vec![DelayInput {
                    id: None,
                    cause: DelayCause::Weather,
                    hours: "1.5".into(),
                    description: Some("下午小雨，外架作业暂停".into()),
                }],
            },
        )
        .expect("day log");

    let report = sync();
    assert_eq!(report.photos_uploaded, 2, "{report:?}");
    assert_eq!(phone.unsynced().expect("unsynced").photos, 0);

    // Nothing kept before the first fetch.
    assert_eq!(
        phone.cached_daily_report("P1".into(), "S1".into(), today.clone(), ReportLang::ZhCn).expect("cache"),
        None
    );
    let fetch = |lang: ReportLang| {
        rt.block_on(phone.fetch_daily_report_with(
            base.clone(),
            foreman.clone(),
            "P1".into(),
            "S1".into(),
            today.clone(),
            lang,
            None,
        ))
    };

    // Chinese.
    let zh = fetch(ReportLang::ZhCn).expect("the Chinese report");
    assert_eq!((zh.version, zh.from_cache, zh.not_modified), (1, false, false), "{zh:?}");
    let zh_bytes = std::fs::read(&zh.path).expect("the PDF is on the phone");
    assert!(zh_bytes.starts_with(b"%PDF-"), "not a PDF");
    assert_eq!((zh.downloaded_bytes, zh.byte_size), (zh_bytes.len() as u64, zh_bytes.len() as u64));
    let (text, squeezed) = pdf_text(Path::new(&zh.path));
    for (what, wanted) in [
        ("the title", "施工日志"),
        ("the site", "东区工地"),
        ("the date", today.as_str()),
        ("the labour cost", "2791.80"),
        ("the carpenters' cost", "1711.80"),
        ("the rebar fixers' cost", "1080.00"),
        ("the 工日", "7.5"),
        ("工日", "工日"),
        ("the crew", "张班"),
        ("the activity", "三层模板"),
        ("the progress", "35"),
        ("the caption", "三层模板支设过半"),
        ("the expense", "1280.50"),
        ("the vendor", "鑫源建材"),
        ("the morning's weather", "晴"),
        ("the afternoon's weather", "小雨"),
        ("the temperatures", "12.5"),
        ("the observation", "3#楼5层临边无防护"),
        ("the visitor", "赵工"),
        ("the delay", "外架作业暂停"),
        ("the notes", "班前安全交底已完成"),
        ("the GPS", "31.2304"),
        ("the signature block", "审核人"),
    ] {
        assert_holds(&squeezed, &text, what, wanted);
    }
    // The labour total row: 7 people, 7.5 工日, 60 hours, 2,791.80.
    let total = text.lines().find(|l| l.contains("合计") && l.contains("2,791.80"));
    let cells: Vec<&str> = total.unwrap_or_else(|| panic!("no labour total row:\n{text}")).split_whitespace().collect();
    assert!(cells.windows(3).any(|w| w == ["7", "7.5", "60"]), "headcount, 工日, hours: {cells:?}");
    let zh_pages = render_pages(Path::new(&zh.path), "zh-CN");
    assert!(!zh_pages.is_empty(), "no page rendered");

    // English.
    let en = fetch(ReportLang::En).expect("the English report");
    assert_eq!((en.version, en.from_cache), (1, false), "{en:?}");
    assert_ne!(en.path, zh.path, "each language its own file");
    let (text, squeezed) = pdf_text(Path::new(&en.path));
    for (what, wanted) in [
        ("the title", "Daily site report"),
        ("the labour cost", "2791.80"),
        ("the carpenters' cost", "1711.80"),
        ("the 工日", "7.5"),
        ("the activity", "三层模板"),
        ("the expense", "1280.50"),
        ("the morning's weather", "sunny"),
        ("the afternoon's weather", "light rain"),
        ("the observation", "3#楼5层临边无防护"),
        ("the signature block", "Reviewed by"),
    ] {
        assert_holds(&squeezed, &text, what, wanted);
    }
    let en_pages = render_pages(Path::new(&en.path), "en");
    assert!(!en_pages.is_empty(), "no page rendered");

    // Again: the server answers 304 to the kept ETag; the same file, nothing downloaded.
    let again = fetch(ReportLang::ZhCn).expect("again");
    assert_eq!((again.not_modified, again.from_cache, again.downloaded_bytes), (true, false, 0), "{again:?}");
    assert_eq!((again.path.as_str(), again.version), (zh.path.as_str(), 1));
    assert_eq!(std::fs::read(&again.path).expect("kept PDF"), zh_bytes, "the kept file is untouched");
    assert!(again.fetched_at_ms >= zh.fetched_at_ms);

    // A supervisor approves the expense: the day's records moved, so version 2 comes down.
    approve_current(&addr, &sup, &expense.info.id);
    let v2 = fetch(ReportLang::ZhCn).expect("version 2");
    assert_eq!((v2.version, v2.not_modified, v2.from_cache), (2, false, false), "{v2:?}");
    assert!(v2.downloaded_bytes > 0);
    assert_ne!(v2.path, zh.path, "a new version is a new file");
    assert!(!Path::new(&zh.path).exists(), "version 1's file is dropped once version 2 is kept");
    let (text, squeezed) = pdf_text(Path::new(&v2.path));
    assert_holds(&squeezed, &text, "the expense", "1280.50");

    // A day without records.
    let yesterday = (today.parse::<chrono::NaiveDate>().expect("today") - chrono::Duration::days(1)).to_string();
    let none = rt.block_on(phone.fetch_daily_report_with(
        base.clone(),
        foreman.clone(),
        "P1".into(),
        "S1".into(),
        yesterday.clone(),
        ReportLang::ZhCn,
        None,
    ));
    assert!(
        matches!(&none, Err(CoreError::NoDailyReport { site_id, date }) if site_id == "S1" && *date == yesterday),
        "{none:?}"
    );

    // The server goes away: the kept version 2 is answered, marked as from the cache.
    drop(server);
    let offline = fetch(ReportLang::ZhCn).expect("the kept report while offline");
    assert_eq!(
        (offline.from_cache, offline.version, offline.path.as_str()),
        (true, 2, v2.path.as_str()),
        "{offline:?}"
    );
    assert_eq!(offline.downloaded_bytes, 0);
    let cached = phone.cached_daily_report("P1".into(), "S1".into(), today.clone(), ReportLang::En).expect("cache");
    assert_eq!(cached.map(|c| (c.path, c.version, c.from_cache)), Some((en.path.clone(), 1, true)));
    // Nothing kept for that day: offline is an error, not an empty file.
    let nothing = rt.block_on(phone.fetch_daily_report_with(
        base.clone(),
        foreman.clone(),
        "P1".into(),
        "S1".into(),
        yesterday,
        ReportLang::En,
        None,
    ));
    assert!(matches!(nothing, Err(CoreError::Offline { .. })), "{nothing:?}");
    println!("pages: {:?} {:?}", zh_pages, en_pages);
}
