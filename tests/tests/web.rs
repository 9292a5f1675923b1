//! Supervisor screens end to end through the real server binary.
//!
//! * `browser_story`: headless Chromium (Debian's `chromium` + `chromedriver`) signs in (a
//!   foreman's token is refused), opens the queue, opens the labour sheet a phone synced, approves
//!   it, sees the cost dashboard change, exports the day-labour summary as XLSX and reads it back,
//!   has a form without its CSRF token refused, bulk-approves a day's clean sheets, switches to
//!   Chinese and looks at every screen at phone width. Screenshots go to
//!   `<target>/screens/web-*.png`.
//! * `sessions_and_csrf_*`: the same rules over raw HTTP on SQLite and PostgreSQL (no browser).
//!
//! One file because both stories share one `World` (a server, a phone's synced sheets and photo, the
//! supervisor's tokens) and its setup; the browser story is one long walk through the screens.

use fieldledger_tests::blobkit;
use fieldledger_tests::webkit;

use automerge::AutoCommit;
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use fieldledger_tests::api::{self, XLSX, d};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::{self, crew_line, header, labour_sheet, reference_workbook};
use fieldledger_tests::*;
use record_schema::{CrewLine, Effort, PhotoRef, Progress, ProgressReport};
use serde_json::{Value, json};
use webkit::{Browser, form_encode, hidden, http};

const SHEET: &str = "0193a000-0000-7000-8000-0000000000b1";
const SHEET2: &str = "0193a000-0000-7000-8000-0000000000b2";
const PROGRESS: &str = "0193a000-0000-7000-8000-0000000000b3";

/// A sheet of 2026-11-20 with `lines`.
fn sheet_doc(id: &str, lines: Vec<CrewLine>) -> AutoCommit {
    records::sheet_doc(&labour_sheet(id, lines))
}

/// Uploads a 640×480 JPEG over tus as the foreman's phone does; returns its reference.
fn upload_photo(addr: &str, foreman: &str) -> PhotoRef {
    let bytes = blobkit::jpeg(640, 480, 7, false);
    let sha = blobkit::sha256_hex(&bytes);
    let (_, r) = blobkit::upload(addr, &format!("Bearer {foreman}"), &bytes);
    assert_eq!(r.status, 204, "{r:?}");
    PhotoRef {
        sha256: sha.clone(),
        byte_size: bytes.len() as u64,
        width: 640,
        height: 480,
        mime: "image/jpeg".into(),
        captured_at_ms: 1_795_154_700_000,
        location: None,
        thumbnail_sha256: sha,
    }
}

/// The server with P1's reference data, and a foreman's phone that synced two labour sheets of
/// 2026-11-20: SHEET (6 × 8 h × 47.50 = 2,280.00 on 03-100 and 3 × 2.5 d × 360 = 2,700.00 on
/// 03-200) and SHEET2 (2 × 8 h × 47.50 = 760.00 on 03-100); and a progress report (A1 at 40%)
/// with an uploaded photo.
struct World {
    _dir: tempfile::TempDir,
    server: Server,
    foreman: String,
    foreman2: String,
    sup: String,
    phone: SimPhone,
}

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let foreman2 = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let server = start_with(dir.path(), url);
    api::import_reference(&server.addr, &admin, &reference_workbook());
    let mut li = SimPhone::new(foreman.clone());
    li.docs.insert(
        SHEET.into(),
        sheet_doc(
            SHEET,
            vec![
                crew_line("l1", 6, Effort::Hours(d("8")), "47.50", "03-100", "A1"),
                crew_line("l2", 3, Effort::Days(d("2.5")), "360", "03-200", "A2"),
            ],
        ),
    );
    li.docs.insert(
        SHEET2.into(),
        sheet_doc(SHEET2, vec![crew_line("m1", 2, Effort::Hours(d("8")), "47.50", "03-100", "A1")]),
    );
    let progress = ProgressReport {
        header: header(PROGRESS, "P1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        activity: "A1".into(),
        progress: Progress::Percent(d("40")),
        caption: Some("三层模板".into()),
        photos: vec![upload_photo(&server.addr, &foreman)],
    };
    let mut doc = AutoCommit::new();
    progress.write(&mut doc).expect("write");
    li.docs.insert(PROGRESS.into(), doc);
    assert!(li.sync(&server.addr).errors.is_empty());
    World { _dir: dir, server, foreman, foreman2, sup, phone: li }
}

/// The record as the JSON API shows it (what the screens must agree with).
fn api_record(addr: &str, sup: &str, id: &str) -> Value {
    let (s, v) = api::json_call(addr, sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(s, 200, "{v}");
    v
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&").into_bytes()
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn sessions_and_csrf(url: Option<&str>) {
    let w = world(url);
    let addr = w.server.addr.as_str();

    // No session: to the sign-in page, which comes back afterwards.
    let r = http(addr, "GET", "/web/queue?kind=labour_sheet", &[], b"");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/sign-in?next=%2Fweb%2Fqueue%3Fkind%3Dlabour_sheet")));

    // The sign-in form itself needs its token.
    let r = http(addr, "POST", "/web/sign-in", &[FORM], &form(&[("token", &w.sup)]));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.cookie("fl_session").is_none());

    // A foreman's token is refused; an unknown one too; neither gets a session.
    let r = webkit::sign_in(addr, &w.foreman, "%2Fweb%2Fqueue");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("foreman"), "{}", r.text());
    assert!(r.cookie("fl_session").is_none());
    let r = webkit::sign_in(addr, "flt_0000", "%2Fweb%2Fqueue");
    assert_eq!(r.status, 401);
    assert!(r.cookie("fl_session").is_none());

    // A supervisor's token opens a session in a secure, HTTP-only, SameSite cookie.
    let r = webkit::sign_in(addr, &w.sup, "%2Fweb%2Fqueue");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/queue")), "{}", r.text());
    let set = r.headers_named("set-cookie").find(|c| c.starts_with("fl_session=")).expect("session cookie").to_string();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    let cookie = format!("fl_session={}", r.cookie("fl_session").expect("session"));
    let queue = http(addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    assert_eq!(queue.status, 200);
    let html = queue.text();
    assert!(html.contains(SHEET) && html.contains(SHEET2), "both sheets are pending");
    assert!(queue.header("content-security-policy").is_some_and(|c| c.contains("script-src 'self'")));
    let csrf = hidden(&html, "csrf").expect("the page's CSRF token");

    // Approving without the CSRF token, or with another, is refused and changes nothing.
    let heads = api_record(addr, &w.sup, SHEET)["heads"]
        .as_array()
        .expect("heads")
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let path = format!("/web/records/{SHEET}/approve");
    let r = http(addr, "POST", &path, &[FORM, ("Cookie", &cookie)], &form(&[("heads", &heads), ("comment", "ok")]));
    assert_eq!(r.status, 403, "{}", r.text());
    let r = http(addr, "POST", &path, &[FORM, ("Cookie", &cookie)], &form(&[("csrf", "0123"), ("heads", &heads)]));
    assert_eq!(r.status, 403);
    assert_eq!(api_record(addr, &w.sup, SHEET)["approval"]["status"], "pending");
    // Another browser's session token does not pass either: the token belongs to its session.
    let other = webkit::sign_in(addr, &w.sup, "%2Fweb%2Fqueue");
    let other_cookie = format!("fl_session={}", other.cookie("fl_session").expect("session"));
    let r = http(addr, "POST", &path, &[FORM, ("Cookie", &other_cookie)], &form(&[("csrf", &csrf), ("heads", &heads)]));
    assert_eq!(r.status, 403);

    // With it: approved, exactly the version named.
    let r = http(
        addr,
        "POST",
        &path,
        &[FORM, ("Cookie", &cookie)],
        &form(&[("csrf", &csrf), ("heads", &heads), ("comment", "ok")]),
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some(format!("/web/records/{SHEET}?done=approved&v={heads}").as_str())),
        "{}",
        r.text()
    );
    let v = api_record(addr, &w.sup, SHEET);
    assert_eq!(
        (v["approval"]["status"].as_str(), v["approval"]["decisions"][0]["comment"].as_str()),
        (Some("approved"), Some("ok"))
    );

    // A rejection needs a comment (the shared rule, shown as a page).
    let path2 = format!("/web/records/{SHEET2}/reject");
    let heads2 = api_record(addr, &w.sup, SHEET2)["heads"][0].as_str().expect("head").to_string();
    let r = http(
        addr,
        "POST",
        &path2,
        &[FORM, ("Cookie", &cookie)],
        &form(&[("csrf", &csrf), ("heads", &heads2), ("comment", " ")]),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("comment"));

    // The cost and schedule dashboards export for the session, the figures as the JSON API has them.
    let r = http(addr, "GET", "/web/cost/export?format=csv&from=&to=", &[("Cookie", &cookie)], b"");
    assert_eq!((r.status, r.header("content-type")), (200, Some("text/csv; charset=utf-8")), "{}", r.text());
    assert!(r.text().contains("\n03-100,模板,2,03,100000.00,2280.00,"), "{}", r.text());
    let r = http(addr, "GET", "/web/schedule/export?format=xlsx&at=2026-11-20", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.body)).expect("schedule xlsx");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("sheet");
    assert!(range.rows().any(|row| row[0] == Data::String("A1".into())), "A1 in the schedule export");
    let r = http(addr, "GET", "/web/cost/export?format=pdf", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 400);
    assert_eq!(http(addr, "GET", "/web/cost/export?format=csv", &[], b"").status, 303, "exports need a session");

    // Signing out ends the session; the cookie no longer opens pages.
    let r = http(addr, "POST", "/web/sign-out", &[FORM, ("Cookie", &cookie)], &form(&[]));
    assert_eq!(r.status, 403, "sign-out is a form like any other");
    let r = http(addr, "POST", "/web/sign-out", &[FORM, ("Cookie", &cookie)], &form(&[("csrf", &csrf)]));
    assert_eq!(r.status, 303);
    let r = http(addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 303, "the closed session is gone");
}

#[test]
fn sessions_and_csrf_on_sqlite() {
    sessions_and_csrf(None);
}

#[test]
fn sessions_and_csrf_on_postgres() {
    let pg = ThrowawayPg::create();
    sessions_and_csrf(Some(&pg.url()));
}

#[test]
fn browser_story() {
    if !webkit::browser_available() {
        // Only a missing browser skips, and says so; everything else fails loudly.
        eprintln!(
            "SKIPPED browser_story: {} or {} is missing (scripts/test-setup.sh installs chromium and chromium-driver)",
            webkit::CHROMIUM,
            webkit::CHROMEDRIVER
        );
        return;
    }
    let mut w = world(None);
    // `localhost`, not 127.0.0.1: browsers treat it as a secure context, so the Secure cookie sticks.
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1280, 900);

    // Not signed in: the sign-in page. A foreman's token is refused there.
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#sign-in-form");
    assert!(b.url().contains("/web/sign-in"), "{}", b.url());
    b.type_into("#token", &w.foreman);
    b.click("#sign-in");
    b.wait_for("#problem");
    assert!(b.text("#problem").contains("foreman"), "{}", b.text("#problem"));
    assert!(b.cookies().iter().all(|c| c["name"] != "fl_session"), "no session for a foreman");
    b.screenshot("web-01-foreman-refused");

    // A supervisor signs in and lands on the queue: two new sheets.
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#pending");
    assert!(b.url().ends_with("/web/queue"), "{}", b.url());
    let session = b.cookies().into_iter().find(|c| c["name"] == "fl_session").expect("session cookie");
    assert_eq!((session["httpOnly"].as_bool(), session["secure"].as_bool()), (Some(true), Some(true)), "{session}");
    assert_eq!(b.text("#count-pending"), "3");
    assert!(b.exists(&format!("#row-{SHEET}")) && b.exists(&format!("#row-{SHEET2}")));
    b.screenshot("web-02-queue");

    // The cost dashboard before any approval: nothing spent on 03-100.
    b.goto(&format!("{base}/web/cost?to=2026-11-20"));
    b.wait_for("#cost-chart svg");
    assert_eq!(b.text("#code-03-100 .actual-cell"), "CN¥0.00");
    b.screenshot("web-03-cost-before");

    // Open the sheet the phone synced: its lines and total, as the API computes them.
    b.goto(&format!("{base}/web/queue?kind=labour_sheet"));
    b.wait_for("#pending");
    b.click(&format!("#row-{SHEET} a.open"));
    b.wait_for("#approve-form");
    assert_eq!(b.text("#total"), "CN¥4,980.00");
    assert_eq!(b.attr("#status", "data-status").as_deref(), Some("pending"));
    let shown_heads = b.attr("#approve-form input[name=heads]", "value").expect("heads");
    let api = api_record(&w.server.addr, &w.sup, SHEET);
    assert_eq!(
        shown_heads,
        api["heads"].as_array().expect("heads").iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
    );
    assert!(b.text("#lines").contains("2,280.00") && b.text("#lines").contains("2.5"));
    b.screenshot("web-04-record");

    // Approve it with a comment: the decision is listed, in the site's time zone.
    b.type_into("#approve-comment", "checked on site");
    b.click("#approve");
    b.wait_for("#done");
    assert_eq!(b.attr("#status", "data-status").as_deref(), Some("approved"));
    let decisions = b.text("#decisions");
    assert!(decisions.contains("checked on site") && decisions.contains("Beijing time"), "{decisions}");
    assert!(!b.exists("#approve-form"), "the standing version is not offered again");
    assert_eq!(api_record(&w.server.addr, &w.sup, SHEET)["approval"]["status"], "approved");
    b.screenshot("web-05-approved");

    // The cost dashboard follows the ledger.
    b.goto(&format!("{base}/web/cost?to=2026-11-20"));
    b.wait_for("#cost-chart svg");
    assert_eq!(b.text("#code-03-100 .actual-cell"), "CN¥2,280.00");
    assert_eq!(b.text("#code-03-200 .actual-cell"), "CN¥2,700.00");
    assert_eq!(b.text("#cost-totals .actual-cell"), "CN¥4,980.00");
    assert!(b.exists("#cost-chart rect.actual"), "bars drawn");
    b.screenshot("web-06-cost-after");

    // The progress report shows its photo's thumbnail (through the session, not a bearer token).
    b.goto(&format!("{base}/web/records/{PROGRESS}"));
    b.wait_for("img.thumb");
    let loaded = b.script("const i = document.querySelector('img.thumb'); return new Promise(r => { if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); i.onerror = () => r(0); });");
    assert!(loaded.as_u64().is_some_and(|w| w > 0 && w <= 320), "thumbnail loaded: {loaded}");
    b.screenshot("web-07-progress-photo");
    b.click("#approve");
    b.wait_for("#done");

    // Schedule: A1 planned 50% at 2026-11-20, actual 40% (behind), the S-curve drawn.
    b.goto(&format!("{base}/web/schedule?at=2026-11-20"));
    b.wait_for("#s-curve svg polyline.ev");
    let a1 = b.text("#activity-A1");
    assert!(a1.contains("50%") && a1.contains("40%") && a1.contains("0.8"), "{a1}");
    b.screenshot("web-08-schedule");

    // Day-labour summary and its XLSX export, fetched with this browser's session and read back.
    b.goto(&format!("{base}/web/labour?from=2026-11-01&to=2026-11-30&period=month&by=trade"));
    b.wait_for("#labour-table");
    assert_eq!(b.text("#labour-table tfoot .labour-total"), "CN¥4,980.00");
    b.screenshot("web-09-labour");
    let href = b.attr("#export-xlsx", "href").expect("export link");
    let path = href.strip_prefix(&base).unwrap_or(&href).to_string();
    let cookie = format!("fl_session={}", session["value"].as_str().expect("cookie value"));
    let file = http(&w.server.addr, "GET", &path, &[("Cookie", &cookie)], b"");
    assert_eq!((file.status, file.header("content-type")), (200, Some(XLSX)), "{}", file.text());
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(file.body)).expect("the export reads as XLSX");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("sheet");
    let header = range.rows().position(|r| r.contains(&Data::String("Amount".into()))).expect("header row");
    let cost_col = range
        .rows()
        .nth(header)
        .and_then(|r| r.iter().position(|c| *c == Data::String("Amount".into())))
        .expect("cost column");
    let carpenters = range.rows().find(|r| r.contains(&Data::String("木工".into()))).expect("carpenters' row");
    assert_eq!(carpenters[cost_col], Data::Float(2280.0));
    let total = range.rows().find(|r| r[0] == Data::String("Total".into())).expect("total row");
    assert_eq!(total[cost_col], Data::Float(4980.0));
    let csv_href = b.attr("#export-csv", "href").expect("csv link");
    let csv =
        http(&w.server.addr, "GET", csv_href.strip_prefix(&base).unwrap_or(&csv_href), &[("Cookie", &cookie)], b"");
    assert!(csv.text().contains("4980.00"), "{}", csv.text());

    // A form whose CSRF token was taken out is refused, and nothing is decided.
    b.goto(&format!("{base}/web/records/{SHEET2}"));
    b.wait_for("#reject-form");
    b.script("document.querySelector('#reject-form input[name=csrf]').remove();");
    b.type_into("#reject-comment", "numbers look wrong");
    b.click("#reject");
    b.wait_for("#error-status");
    assert_eq!(b.text("#error-status"), "403");
    assert!(b.text("#error-message").contains("out of date"), "{}", b.text("#error-message"));
    b.screenshot("web-10-csrf-refused");
    let v = api_record(&w.server.addr, &w.sup, SHEET2);
    assert_eq!(
        (v["approval"]["status"].as_str(), v["approval"]["decisions"].as_array().map(Vec::len)),
        (Some("pending"), Some(0))
    );

    // Bulk approval of the day's clean sheets: SHEET2 is the one left.
    b.goto(&format!("{base}/web/queue"));
    b.wait_for(&format!("#pick-{SHEET2}"));
    b.click(&format!("#pick-{SHEET2}"));
    b.click("#approve-selected");
    b.wait_for("#bulk-summary");
    assert!(b.text("#bulk-summary").contains("1 / 1"), "{}", b.text("#bulk-summary"));
    assert_eq!(api_record(&w.server.addr, &w.sup, SHEET2)["approval"]["status"], "approved");
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#empty");
    assert_eq!(b.text("#count-approved"), "3");

    // After approval the foreman edits SHEET (l1: 6 → 7), and two phones set l2's headcount at
    // once: the record shows the difference since approval and the conflict side by side.
    let addr = w.server.addr.clone();
    let mut wang = SimPhone::new(w.foreman2.clone());
    wang.sync(&addr);
    w.phone.edit_sheet(SHEET, |s| s.lines[0].headcount = 7);
    w.phone.sync(&addr);
    wang.sync(&addr);
    w.phone.edit_sheet(SHEET, |s| s.lines[1].headcount = 4);
    wang.edit_sheet(SHEET, |s| s.lines[1].headcount = 5);
    w.phone.sync(&addr);
    wang.sync(&addr);
    w.phone.sync(&addr);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for(&format!("#row-{SHEET}"));
    let row = b.text(&format!("#row-{SHEET}"));
    assert!(row.contains("Changed since approval"), "{row}");
    assert_eq!(b.text(&format!("#row-{SHEET} .badge.conflict")), "1");
    b.click(&format!("#row-{SHEET} a.open"));
    b.wait_for("#conflicts");
    let changes = b.text("#changes");
    assert!(changes.contains("Line 1 木工: headcount 6→7"), "{changes}");
    let conflict = b.text("#conflicts");
    assert!(
        conflict.contains("Line 2 钢筋工 headcount") && conflict.contains('4') && conflict.contains('5'),
        "{conflict}"
    );
    assert!(!b.exists("#approve-form"), "a conflicted version cannot be approved");
    b.screenshot("web-11-changes-and-conflict");
    let api = api_record(&addr, &w.sup, SHEET);
    let kept: i64 = api["conflicts"][0]["values"][1].as_str().and_then(|v| v.parse().ok()).expect("second value");
    // Keep the second value; then approve the settled version.
    b.click("#conflict-0 input[value='1']");
    b.click("#resolve");
    b.wait_for("#done");
    assert!(!b.exists("#conflicts"));
    b.click("#approve");
    // (Not `#done`: the page being left shows it too, after the conflict was settled; reading it
    // while the browser navigates away found a stale element.)
    b.wait_for("#status[data-status=approved]");
    assert_eq!(b.text("#decisions tbody tr:first-child td:nth-child(2)"), "Approved");
    assert_eq!(api_record(&addr, &w.sup, SHEET)["record"]["lines"][1]["headcount"], json!(kept));

    // 中文: the switch keeps the page; money in yuan. 03-100: 7 × 8 × 47.50 + SHEET2's 760.00;
    // 03-200: the kept headcount × 2.5 d × 360.
    b.goto(&format!("{base}/web/cost?to=2026-11-20"));
    b.wait_for("#lang-switch");
    b.click("#lang-switch");
    b.wait_for("#cost-chart svg");
    assert_eq!(b.text("h1"), "成本科目预算与实际");
    assert_eq!(b.text("#code-03-100 .actual-cell"), "¥3,420.00");
    assert!(kept == 4 || kept == 5, "{kept}");
    let expected = if kept == 4 { "¥7,020.00" } else { "¥7,920.00" };
    assert_eq!(b.text("#cost-totals .actual-cell"), expected);
    b.screenshot("web-12-cost-zh");

    // Phone width: every screen fits without sideways scrolling of the page (tables scroll inside).
    b.resize(390, 844);
    for (i, path) in [
        "/web/queue".to_string(),
        format!("/web/records/{SHEET}"),
        "/web/cost?to=2026-11-20".into(),
        "/web/schedule?at=2026-11-20".into(),
        "/web/labour?from=2026-11-01&to=2026-11-30".into(),
    ]
    .iter()
    .enumerate()
    {
        b.goto(&format!("{base}{path}"));
        b.wait_for("main");
        let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
        assert_eq!(fits, json!(true), "{path} is wider than a phone");
        b.screenshot(&format!("web-13-phone-{i}"));
    }

    // Sign out: back to the sign-in page, and the queue needs signing in again.
    b.click("#sign-out");
    b.wait_for("#sign-in-form");
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#sign-in-form");
}

/// A document stored before the shape check, nested 1,000 maps deep under an extra key, shows in
/// the queue as damaged with its reason, beside the records that read; in English and 中文, at
/// desk and phone width.
#[test]
fn a_damaged_record_shows_in_the_queue() {
    if !webkit::browser_available() {
        eprintln!(
            "SKIPPED a_damaged_record_shows_in_the_queue: {} or {} is missing",
            webkit::CHROMIUM,
            webkit::CHROMEDRIVER
        );
        return;
    }
    const BAD: &str = "0193a000-0000-7000-8000-0000000000bd";
    let w = world(None);
    let mut bad = sheet_doc(BAD, vec![crew_line("x1", 4, Effort::Hours(d("8")), "47.50", "03-100", "A1")]);
    {
        use automerge::transaction::Transactable;
        let mut obj = bad.put_object(automerge::ROOT, "deep", automerge::ObjType::Map).expect("put");
        for _ in 0..1_000 {
            obj = bad.put_object(&obj, "x", automerge::ObjType::Map).expect("nest");
        }
    }
    store_directly(w._dir.path(), None, BAD, "labour_sheet", bad.save());
    let base = format!("http://{}", w.server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#pending");
    assert!(b.exists(&format!("#row-{BAD} .badge.damaged")), "the damaged record is listed as such");
    assert!(b.text(&format!("#row-{BAD} .damage")).contains("Ask the foreman"), "{}", b.text(&format!("#row-{BAD}")));
    b.click(&format!("#row-{BAD} .damage summary"));
    assert!(b.text(&format!("#row-{BAD} .damage details")).contains("deeper than 16"), "the reason, one click away");
    assert!(b.exists(&format!("#row-{SHEET}")) && b.exists(&format!("#row-{SHEET2}")), "the rest of the queue");
    assert!(!b.source().contains(&format!("{BAD}:")), "a damaged record is not offered for bulk approval");
    b.screenshot("web-14-queue-damaged-en");
    b.click("#lang-switch");
    b.wait_for("#pending");
    assert!(b.text(&format!("#row-{BAD} .badge.damaged")).contains("已损坏"));
    assert!(b.text(&format!("#row-{BAD} .damage")).contains("请工长重新录入"));
    b.screenshot("web-15-queue-damaged-zh");
    b.resize(390, 844);
    b.goto(&format!("{base}/web/queue"));
    b.wait_for("#pending");
    let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
    assert_eq!(fits, json!(true), "the queue is wider than a phone");
    b.script(&format!("document.getElementById('row-{BAD}').scrollIntoView(); return true;"));
    b.screenshot("web-16-queue-damaged-phone-zh");
    b.click("#lang-switch");
    b.wait_for("#pending");
    assert!(b.text(&format!("#row-{BAD} .badge.damaged")).contains("Damaged"));
    b.script(&format!("document.getElementById('row-{BAD}').scrollIntoView(); return true;"));
    b.screenshot("web-17-queue-damaged-phone-en");
}
