//! The record page as a 生产经理 reviews it, end to end: the real server binary, sheets made and
//! synced by the real phone library (`mobile_core::ffi::FieldStore`), concurrent edits from two
//! simulated phones (`SimPhone`), photos uploaded over tus, headless Chromium at 1440x900 and
//! 390x844 in English and Chinese. Screenshots: `<target>/screens/record-*.png`.
//!
//! One story (`record_page_story`): names instead of ids, worker names, rate units and totals; the
//! difference since approval in business words (exact text, both languages); approving from a page
//! opened before the foreman's next edit (the stale-version warning); approve-and-next; a conflict
//! of two fields entered by two people, each value with its author, settled in one submit; a voided
//! record without an Approve button; photos with time, place and a map link, receipts uncropped,
//! a lightbox; phone width as cards with a sticky decision bar.

use automerge::AutoCommit;
use automerge::transaction::CommitOptions;
use chrono::NaiveDate;
use fieldledger_tests::api::{self, d, json_call};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::phone_core::{new_sheet, open_phone};
use fieldledger_tests::records::{self, header, reference_workbook};
use fieldledger_tests::webkit::{self, Browser};
use fieldledger_tests::*;
use mobile_core::ffi::types::{CrewLineInput, EffortUnit, Worker};
use record_schema::{GeoPoint, PhotoRef, Progress, ProgressReport, Record};
use serde_json::{Value, json};

const PROGRESS: &str = "0193a000-0000-7000-8000-0000000000c1";
const EXPENSE: &str = "0193a000-0000-7000-8000-0000000000c2";

fn line(
    trade: &str,
    headcount: i64,
    unit: EffortUnit,
    effort: &str,
    rate: &str,
    code: &str,
    workers: &[&str],
) -> CrewLineInput {
    CrewLineInput {
        trade: trade.into(),
        crew: Some("张班".into()),
        headcount,
        effort_unit: unit,
        effort: effort.into(),
        rate: rate.into(),
        cost_code: code.into(),
        activity: Some(if code == "03-100" { "A1" } else { "A2" }.into()),
        note: None,
        workers: workers.iter().map(|n| Worker { name: (*n).into(), id_number: None, worker_id: None }).collect(),
        rate_unit: None,
    }
}

/// Carpenters by the day (元/工日), with two named workers.
fn carpenters(headcount: i64) -> CrewLineInput {
    line("木工", headcount, EffortUnit::Days, "1", "450", "03-100", &["张三", "李四"])
}

/// Steel fixers by the hour (元/小时).
fn fixers() -> CrewLineInput {
    line("钢筋工", 2, EffortUnit::Hours, "8", "45", "03-200", &[])
}

/// A real JPEG uploaded over tus as the foreman's phone does, with where and when it was taken.
fn upload_photo(addr: &str, foreman: &str, w: u32, h: u32, seed: u32) -> PhotoRef {
    let bytes = blobkit::jpeg(w, h, seed, false);
    let sha = blobkit::sha256_hex(&bytes);
    let (_, r) = blobkit::upload(addr, &format!("Bearer {foreman}"), &bytes);
    assert_eq!(r.status, 204, "{r:?}");
    PhotoRef {
        sha256: sha.clone(),
        byte_size: bytes.len() as u64,
        width: w,
        height: h,
        mime: "image/jpeg".into(),
        // 2026-11-20 14:05 in Shanghai.
        captured_at_ms: 1_795_154_700_000,
        location: Some(GeoPoint { latitude: 31.230416, longitude: 121.473701, accuracy_m: Some(8.0) }),
        thumbnail_sha256: sha,
    }
}

/// `edit` on a simulated phone, committed as a phone commits: a time and a message naming the
/// author and the device.
fn edit_as(phone: &mut SimPhone, id: &str, author: &str, device: &str, time_s: i64, f: impl FnOnce(&mut Record)) {
    phone.edit(id, f);
    let doc: &mut AutoCommit = phone.docs.get_mut(id).expect("held");
    doc.commit_with(
        CommitOptions::default()
            .with_message(format!("update line 1\n\nAuthor: {author}\nDevice: {device}"))
            .with_time(time_s),
    );
}

fn api_record(addr: &str, sup: &str, id: &str) -> Value {
    let (s, v) = json_call(addr, sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(s, 200, "{v}");
    v
}

fn heads_of(v: &Value) -> Vec<String> {
    let mut h: Vec<String> =
        v.as_array().expect("heads").iter().filter_map(Value::as_str).map(str::to_string).collect();
    h.sort();
    h
}

/// The page's language: the switch's own route, back to `path`.
fn set_lang(b: &Browser, base: &str, lang: &str, path: &str) {
    b.goto(&format!(
        "{base}/web/lang?to={lang}&back={}",
        path.replace('/', "%2F").replace('?', "%3F").replace('=', "%3D")
    ));
    b.wait_for("main");
}

fn fits(b: &Browser) -> bool {
    b.script("return document.documentElement.scrollWidth <= window.innerWidth;") == json!(true)
}

/// The sentences of the "changed since approval" list.
fn change_lines(b: &Browser) -> Vec<String> {
    let v = b.script("return Array.from(document.querySelectorAll('#changes li')).map(li => li.textContent.trim());");
    v.as_array().expect("list").iter().filter_map(Value::as_str).map(str::to_string).collect()
}

#[test]
fn record_page_story() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED record_page_story: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let foreman2 = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    api::import_reference(&addr, &admin, &reference_workbook());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let phone = open_phone(dir.path(), "li");
    let sync = || {
        let r = rt.block_on(phone.sync(format!("http://{addr}"), foreman.clone(), None, None)).expect("sync");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    };
    // Three sheets of today, in this order (ids are time-ordered): A (carpenters by the day, named,
    // and fixers by the hour), B (carpenters), C (voided).
    let a = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    let a1 = phone.add_crew_line(a.clone(), carpenters(4)).expect("line").id;
    phone.add_crew_line(a.clone(), fixers()).expect("line");
    let b_id = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(b_id.clone(), line("木工", 3, EffortUnit::Hours, "8", "47.50", "03-100", &[])).expect("line");
    let c_id = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(c_id.clone(), carpenters(2)).expect("line");
    phone.void_record(c_id.clone(), "重复录入".into()).expect("void");
    sync();
    // A progress report with a site photo and an expense with a tall receipt (2026-11-20).
    let mut li = SimPhone::new(foreman2.clone());
    let progress = ProgressReport {
        header: header(PROGRESS, "P1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        activity: "A1".into(),
        progress: Progress::Percent(d("40")),
        caption: Some("三层模板".into()),
        photos: vec![upload_photo(&addr, &foreman, 640, 480, 7), upload_photo(&addr, &foreman, 640, 480, 9)],
    };
    let mut doc = AutoCommit::new();
    progress.write(&mut doc).expect("write");
    li.docs.insert(PROGRESS.into(), doc);
    let mut expense = records::expense(EXPENSE, "P1");
    expense.receipts = vec![upload_photo(&addr, &foreman, 360, 900, 11)];
    li.docs.insert(EXPENSE.into(), records::expense_doc(&expense));
    assert!(li.sync(&addr).errors.is_empty());

    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &sup);
    b.click("#sign-in");
    b.wait_for("#pending");

    // Sheet A: names, not ids; worker names; rates with their unit; totals.
    b.goto(&format!("{base}/web/records/{a}"));
    b.wait_for("#lines");
    assert!(b.text("#facts").contains("东区工地"), "{}", b.text("#facts"));
    let l1 = b.text("#line-1");
    for part in
        ["木工", "张班", "张三, 李四", "CN¥450.00/worker-day", "CN¥1,800.00", "03-100 模板", "三层模板", "1 day"]
    {
        assert!(l1.contains(part), "{part} in {l1}");
    }
    let l2 = b.text("#line-2");
    for part in ["钢筋工", "no names recorded", "CN¥45.00/hour", "8 hours", "CN¥720.00", "03-200 钢筋", "三层钢筋"]
    {
        assert!(l2.contains(part), "{part} in {l2}");
    }
    // 4 + 2 people; 4 × 1 d + 2 × 8 h / 8 = 6 worker-days; 1,800 + 720.
    assert_eq!(
        (b.text("#total-headcount"), b.text("#total-days"), b.text("#total")),
        ("6".into(), "6".into(), "CN¥2,520.00".into())
    );
    // In the approvals list's order (date, then id): the expense of 2026-11-20, A, B.
    assert!(
        b.attr("#prev-record", "href").is_some_and(|h| h.ends_with(EXPENSE)),
        "{:?}",
        b.attr("#prev-record", "href")
    );
    assert!(b.attr("#next-record", "href").is_some_and(|h| h.ends_with(&b_id)), "A is before B");
    b.screenshot("record-01-sheet-en-1440");
    set_lang(&b, &base, "zh-CN", &format!("/web/records/{a}"));
    b.wait_for("#lines");
    let l1 = b.text("#line-1");
    assert!(l1.contains("¥450.00/工日") && l1.contains("张三、李四") && l1.contains("第1行"), "{l1}");
    assert!(b.text("#line-2").contains("¥45.00/小时"));
    b.screenshot("record-02-sheet-zh-1440");

    // Approve A; then the foreman puts two more carpenters on line 1 and adds a line: the page
    // says what changed in words.
    b.click("#approve");
    b.wait_for("#status[data-status=approved]");
    phone.update_crew_line(a.clone(), a1.clone(), carpenters(6)).expect("edit");
    phone.add_crew_line(a.clone(), fixers()).expect("line");
    sync();
    b.goto(&format!("{base}/web/records/{a}"));
    b.wait_for("#changes");
    assert_eq!(
        change_lines(&b),
        vec![
            "第1行 木工：人数 4→6，金额 ¥1,800.00→¥2,700.00".to_string(),
            "新增第3行：钢筋工 张班 2人 × 8小时 × ¥45.00/小时 = ¥720.00".into(),
            "合计 +¥1,620.00（¥2,520.00→¥4,140.00）".into(),
        ]
    );
    assert!(!b.source().contains("lines/"), "no document paths on the page");
    b.screenshot("record-03-changes-zh-1440");
    set_lang(&b, &base, "en", &format!("/web/records/{a}"));
    b.wait_for("#changes");
    assert_eq!(
        change_lines(&b),
        vec![
            "Line 1 木工: headcount 4→6, amount CN¥1,800.00→CN¥2,700.00".to_string(),
            "New line 3: 钢筋工 张班 2 people × 8 hours × CN¥45.00/hour = CN¥720.00".into(),
            "Total +CN¥1,620.00 (CN¥2,520.00→CN¥4,140.00)".into(),
        ]
    );
    b.screenshot("record-04-changes-en-1440");

    // Stale page: the foreman edits again after the page was opened; approving approves the
    // version shown, and the page says plainly that a newer one arrived, and offers it.
    let shown = heads_of(&api_record(&addr, &sup, &a)["heads"]);
    phone.update_crew_line(a.clone(), a1.clone(), carpenters(7)).expect("edit");
    sync();
    b.type_into("#approve-comment", "6 carpenters checked");
    b.click("#approve");
    b.wait_for("#newer-version");
    let warning = b.text("#newer-version");
    assert!(
        warning.contains("A newer version arrived after you opened this page") && warning.contains("Beijing time"),
        "{warning}"
    );
    assert!(b.text("#done").contains("not the newer one"), "{}", b.text("#done"));
    let v = api_record(&addr, &sup, &a);
    assert_eq!(heads_of(&v["approval"]["approved_heads"]), shown, "the decision stands for the version shown");
    assert_eq!(v["approval"]["status"], "changed_since_approval");
    b.screenshot("record-05-stale-en-1440");
    b.click("#review-newer");
    b.wait_for("#approve-form");
    assert!(!b.exists("#newer-version"));
    assert!(change_lines(&b)[0].contains("6→7"), "{:?}", change_lines(&b));
    // Opening a link to a version that is no longer current warns too.
    b.goto(&format!("{base}/web/records/{a}?heads={}", shown.join(",")));
    b.wait_for("#opened-old");

    // Approve and next: A is approved at exactly this version and B opens.
    b.goto(&format!("{base}/web/records/{a}"));
    b.wait_for("#approve-next");
    let now = heads_of(&api_record(&addr, &sup, &a)["heads"]);
    b.click("#approve-next");
    b.wait_for("#done");
    assert!(b.url().contains(&format!("/web/records/{b_id}")), "{}", b.url());
    assert!(b.text("#done").contains("previous record is approved"), "{}", b.text("#done"));
    let v = api_record(&addr, &sup, &a);
    assert_eq!((v["approval"]["status"].as_str(), heads_of(&v["approval"]["approved_heads"])), (Some("approved"), now));
    assert!(
        b.attr("#prev-record", "href").is_some_and(|h| h.contains(PROGRESS) || h.contains(EXPENSE)),
        "A is no longer pending"
    );

    // Two people change B's line at once: headcount and rate each hold two values. Each value
    // names who entered it and when; both fields are settled in one submit.
    let mut wang = SimPhone::new(foreman2.clone());
    wang.sync(&addr);
    let mut li2 = SimPhone::new(foreman.clone());
    li2.sync(&addr);
    edit_as(&mut li2, &b_id, "李工", "li-phone", 1_795_154_700, |r| {
        if let Record::LabourSheet(s) = r {
            s.lines[0].headcount = 5;
            s.lines[0].rate = d("50");
        }
    });
    edit_as(&mut wang, &b_id, "王工", "wang-phone", 1_795_155_000, |r| {
        if let Record::LabourSheet(s) = r {
            s.lines[0].headcount = 4;
            s.lines[0].rate = d("48");
        }
    });
    li2.sync(&addr);
    wang.sync(&addr);
    b.goto(&format!("{base}/web/records/{b_id}"));
    b.wait_for("#conflicts");
    assert!(!b.exists("#approve"), "a conflicted version cannot be approved");
    let conflicts = b.text("#conflicts");
    for part in [
        "Line 1 木工 headcount",
        "Line 1 木工 rate",
        "entered by 李工 (li-phone)",
        "entered by 王工 (wang-phone)",
        "CN¥50.00/hour",
        "CN¥48.00/hour",
        "2026-11-20 14:05 Beijing time",
        "2026-11-20 14:10 Beijing time",
    ] {
        assert!(conflicts.contains(part), "{part} in {conflicts}");
    }
    assert!(!conflicts.contains("lines/"), "{conflicts}");
    b.screenshot("record-06-conflict-en-1440");
    set_lang(&b, &base, "zh-CN", &format!("/web/records/{b_id}"));
    b.wait_for("#conflicts");
    let conflicts = b.text("#conflicts");
    for part in
        ["第1行 木工 人数", "第1行 木工 单价", "填写人 李工 (li-phone)", "¥48.00/小时", "2026-11-20 14:10 北京时间"]
    {
        assert!(conflicts.contains(part), "{part} in {conflicts}");
    }
    b.screenshot("record-06-conflict-zh-1440");
    set_lang(&b, &base, "en", &format!("/web/records/{b_id}"));
    b.wait_for("#conflicts");
    // Keep 王工's headcount and 李工's rate.
    let pick = |field: &str, want: &str| {
        let n = b.script(&format!(
            "const f = Array.from(document.querySelectorAll('#resolve-form fieldset')).findIndex(x => x.querySelector('legend').textContent.includes('{field}')); return f;"
        ));
        let n = n.as_i64().expect("fieldset");
        b.script(&format!(
            "const l = Array.from(document.querySelectorAll('#conflict-{n} label')).find(x => x.querySelector('.rec-value').textContent.trim() === '{want}'); l.querySelector('input').click(); return true;"
        ));
    };
    pick("headcount", "4");
    pick("rate", "CN¥50.00/hour");
    let before = api_record(&addr, &sup, &b_id)["history"].as_array().map(Vec::len).expect("history");
    b.click("#resolve");
    b.wait_for("#done");
    assert!(!b.exists("#conflicts"), "both settled");
    let v = api_record(&addr, &sup, &b_id);
    assert_eq!(
        (v["record"]["lines"][0]["headcount"].clone(), v["record"]["lines"][0]["rate"].clone()),
        (json!(4), json!("50.00"))
    );
    let history = v["history"].as_array().expect("history");
    assert_eq!(history.len(), before + 1, "one change settles both");
    let msg = history.last().and_then(|h| h["message"].as_str()).unwrap_or_default();
    assert!(msg.contains("Device: server") && msg.contains("Author: "), "{msg}");
    assert!(b.exists("#approve"));
    let history = b.text("#history");
    assert!(history.contains("王工") && history.contains("wang-phone") && history.contains("李工"), "{history}");

    // Voided: a banner with the reason, no Approve button; the void can be confirmed.
    b.goto(&format!("{base}/web/records/{c_id}"));
    b.wait_for("#voided");
    assert!(b.text("#voided").contains("Voided:") && b.text("#voided").contains("重复录入"));
    assert!(!b.exists("#approve") && !b.exists("#approve-next") && b.exists("#confirm-void"));
    b.screenshot("record-07-voided-en-1440");
    set_lang(&b, &base, "zh-CN", &format!("/web/records/{c_id}"));
    b.wait_for("#voided");
    assert!(b.text("#voided").contains("已作废"));
    b.screenshot("record-08-voided-zh-1440");

    // Photos: time in the site's zone, coordinates with an OpenStreetMap link, a lightbox.
    b.goto(&format!("{base}/web/records/{PROGRESS}"));
    b.wait_for("#gallery");
    let gallery = b.text("#gallery");
    assert!(gallery.contains("2026-11-20 14:05 北京时间") && gallery.contains("31.23042, 121.47370"), "{gallery}");
    let map = b.attr("#gallery a.rec-map", "href").expect("map link");
    assert_eq!(map, "https://www.openstreetmap.org/?mlat=31.230416&mlon=121.473701#map=18/31.230416/121.473701");
    b.click("#gallery li:nth-child(2) a.rec-open");
    b.wait_for("#lightbox img");
    let loaded = b.script("const i = document.querySelector('#lightbox img'); return new Promise(r => { if (i.complete && i.naturalWidth) r(i.naturalWidth); else { i.onload = () => r(i.naturalWidth); i.onerror = () => r(0); } });");
    assert_eq!(loaded, json!(640), "the full photo in the lightbox");
    b.screenshot("record-09-lightbox-zh-1440");
    b.script("document.querySelector('#lightbox button:nth-child(2)').click(); return true;");
    b.goto(&format!("{base}/web/records/{EXPENSE}"));
    b.wait_for("#gallery");
    let fit = b.script("return getComputedStyle(document.querySelector('#gallery img.thumb')).objectFit;");
    assert_eq!(fit, json!("contain"), "a receipt is shown whole");
    b.screenshot("record-10-receipt-zh-1440");

    // Phone width, both languages: cards, a sticky decision bar, nothing scrolls sideways.
    b.resize(390, 844);
    for (lang, tag) in [("zh-CN", "zh"), ("en", "en")] {
        set_lang(&b, &base, lang, &format!("/web/records/{a}"));
        b.wait_for("#line-1");
        assert!(fits(&b), "record {a} is wider than a phone ({lang})");
        let card = b.script("return getComputedStyle(document.querySelector('#line-1')).display;");
        assert_eq!(card, json!("block"), "a line is a card");
        b.screenshot(&format!("record-11-phone-sheet-{tag}"));
        b.goto(&format!("{base}/web/records/{b_id}"));
        b.wait_for("#decide-bar");
        assert!(fits(&b), "record {b_id} is wider than a phone ({lang})");
        let bar = b.script(
            "const r = document.querySelector('#decide-bar').getBoundingClientRect(); \
             return [getComputedStyle(document.querySelector('#decide-bar')).position, r.bottom <= window.innerHeight];",
        );
        assert_eq!(bar, json!(["sticky", true]), "the decision bar stays in view");
        b.screenshot(&format!("record-12-phone-pending-{tag}"));
        for (id, name) in [(PROGRESS, "photos"), (EXPENSE, "receipt"), (c_id.as_str(), "voided")] {
            b.goto(&format!("{base}/web/records/{id}"));
            b.wait_for("main");
            assert!(fits(&b), "{id} is wider than a phone ({lang})");
            b.screenshot(&format!("record-13-phone-{name}-{tag}"));
        }
    }
}
