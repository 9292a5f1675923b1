//! Dead ends (issue 19): a session that ends while a supervisor is deciding keeps the decision and
//! the typed comment across sign-in, asks before doing it, and then decides exactly the version
//! the supervisor saw; error pages are in the page language, inside the page frame, and name a
//! line as "第2行" / "line 2", never `lines[1]`. Data comes from the real phone library.
//!
//! HTTP on SQLite for the rules; Chromium for the same walk and the screenshots
//! (`<target>/screens/session-*.png`).

use std::sync::Arc;

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::webkit::{self, Browser, Resp, form_encode, hidden, http};
use fieldledger_tests::*;
use mobile_core::ffi::FieldStore;
use serde_json::Value;

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

struct World {
    dir: tempfile::TempDir,
    server: Server,
    foreman: String,
    sup: String,
    phone: Arc<FieldStore>,
    rt: tokio::runtime::Runtime,
    /// A clean sheet: 6 and 4 carpenters.
    sheet: String,
    /// A sheet whose line 2 names a cost code the project does not have (the phone had no
    /// reference data yet), so approving it is refused on `lines[1].cost_code`.
    bad: String,
}

impl World {
    fn sync(&self) {
        let addr = format!("http://{}", self.server.addr);
        let report = self.rt.block_on(self.phone.sync(addr, self.foreman.clone(), None, None)).expect("sync");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    import_reference(&server.addr, &admin, &reference_workbook());
    // The phone records offline, before it ever synced the project's lists.
    let phone = open_phone(dir.path(), "王建国");
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(sheet.clone(), carpenters(6)).expect("line 1");
    phone.add_crew_line(sheet.clone(), carpenters(4)).expect("line 2");
    let bad = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(bad.clone(), carpenters(2)).expect("line 1");
    let mut unknown = carpenters(3);
    unknown.cost_code = "99-999".into();
    phone.add_crew_line(bad.clone(), unknown).expect("line 2");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let w = World { dir, server, foreman, sup, phone, rt, sheet, bad };
    w.sync();
    w
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    fields.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&").into_bytes()
}

fn record(w: &World, id: &str) -> Value {
    let (s, v) = json_call(&w.server.addr, &w.sup, "GET", &format!("/v1/records/{id}"), None);
    assert_eq!(s, 200, "{v}");
    v
}

fn heads_of(v: &Value) -> Vec<String> {
    let mut h: Vec<String> =
        v["heads"].as_array().expect("heads").iter().map(|h| h.as_str().unwrap_or_default().to_string()).collect();
    h.sort();
    h
}

/// Every `<input type="hidden" name=… value=…>` of a page, in order (names and values unescaped
/// of the few entities askama writes).
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&#39;", "'")
            .replace("&#34;", "\"")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#38;", "&")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|part| {
            let (name, rest) = part.split_once("\" value=\"")?;
            Some((unescape(name), unescape(rest.split('"').next()?)))
        })
        .collect()
}

fn signed_in(w: &World) -> (String, String) {
    let r = webkit::sign_in(&w.server.addr, &w.sup, "%2Fweb%2Fqueue");
    assert_eq!(r.status, 303, "{}", r.text());
    let cookie = webkit::session_of(&r);
    let page = http(&w.server.addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    (cookie, csrf)
}

fn sign_out(w: &World, cookie: &str, csrf: &str) {
    let r = http(&w.server.addr, "POST", "/web/sign-out", &[FORM, ("Cookie", cookie)], &form(&[("csrf", csrf)]));
    assert_eq!(r.status, 303, "{}", r.text());
}

#[test]
fn an_expired_session_keeps_the_decision_and_approves_the_version_seen() {
    let w = world();
    let addr = w.server.addr.as_str();
    let (cookie, csrf) = signed_in(&w);
    let page = http(addr, "GET", &format!("/web/records/{}", w.sheet), &[("Cookie", &cookie)], b"").text();
    let shown = hidden(&page, "heads").expect("the version shown");
    let mut shown_heads: Vec<String> = shown.split(',').map(str::to_string).collect();
    shown_heads.sort();
    assert_eq!(shown_heads, heads_of(&record(&w, &w.sheet)));

    // The session ends (signed out elsewhere, or expired) while the supervisor types.
    sign_out(&w, &cookie, &csrf);
    let comment = "人数已核对 'ok' & <fine>";
    let approve = format!("/web/records/{}/approve", w.sheet);
    let r = http(
        addr,
        "POST",
        &approve,
        &[FORM, ("Cookie", &cookie)],
        &form(&[("csrf", &csrf), ("heads", &shown), ("comment", comment)]),
    );
    // Not a redirect to a GET of the approve path (a blank 405), but the sign-in page keeping it.
    assert_eq!(r.status, 401, "{}", r.text());
    let html = r.text();
    assert!(html.contains("id=\"kept\""), "{html}");
    let fields = hidden_fields(&html);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("keep_action").as_deref(), Some(approve.as_str()));
    assert_eq!(get("keep_heads").as_deref(), Some(shown.as_str()));
    assert_eq!(get("keep_comment").as_deref(), Some(comment));
    assert_eq!(get("keep_csrf"), None, "the old CSRF token is not carried");
    assert_eq!(get("next").as_deref(), Some(format!("/web/records/{}", w.sheet).as_str()));
    let signin_csrf = get("csrf").expect("sign-in csrf");
    let pre = r.cookie("fl_signin_csrf").expect("sign-in cookie");
    assert_eq!(pre, signin_csrf);

    // Meanwhile the foreman edits line 1 and syncs: a newer version arrives.
    let line1 = w.phone.get_labour_sheet(w.sheet.clone()).expect("sheet").lines[0].id.clone();
    w.phone.update_crew_line(w.sheet.clone(), line1, carpenters(7)).expect("edit");
    w.sync();
    let newer = heads_of(&record(&w, &w.sheet));
    assert_ne!(newer, shown_heads);

    // Signing in with the kept form asks first; nothing is decided yet.
    let mut body: Vec<(String, String)> = fields.clone();
    body.push(("token".into(), w.sup.clone()));
    let body: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = http(addr, "POST", "/web/sign-in", &[FORM, ("Cookie", &format!("fl_signin_csrf={pre}"))], &form(&body));
    assert_eq!(r.status, 200, "{}", r.text());
    let new_cookie = webkit::session_of(&r);
    let html = r.text();
    assert!(html.contains("Continue approving"), "{html}");
    assert!(html.contains("id=\"continue-newer\""), "the newer version is said: {html}");
    assert!(html.contains("人数已核对"), "{html}");
    let confirm = hidden_fields(&html);
    let new_csrf = confirm.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.clone()).expect("new csrf");
    assert_ne!(new_csrf, csrf);
    assert!(html.contains(&format!("action=\"{approve}\"")), "{html}");
    let v = record(&w, &w.sheet);
    assert_eq!(v["approval"]["decisions"].as_array().map(Vec::len), Some(0), "nothing decided before the click");

    // Pressing the button decides the version seen, with the comment typed before sign-in.
    let confirm: Vec<(&str, &str)> = confirm.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = http(addr, "POST", &approve, &[FORM, ("Cookie", &new_cookie)], &form(&confirm));
    assert_eq!(r.status, 303, "{}", r.text());
    let v = record(&w, &w.sheet);
    let d = &v["approval"]["decisions"][0];
    assert_eq!(d["comment"].as_str(), Some(comment), "{v}");
    let mut decided: Vec<String> =
        d["heads"].as_array().expect("heads").iter().map(|h| h.as_str().unwrap_or_default().to_string()).collect();
    decided.sort();
    assert_eq!(decided, shown_heads, "exactly the version shown, not the newer one");
    assert_eq!(v["approval"]["status"], "changed_since_approval", "{v}");

    // A GET of a stale sign-in link to a decision path lands on the record, not a 405.
    let r = webkit::sign_in(addr, &w.sup, &form_encode(&approve));
    assert_eq!(r.header("location"), Some(format!("/web/records/{}", w.sheet).as_str()));
    drop(w.dir);
}

/// The refused approval of the sheet with the unknown cost code, in `lang`.
fn refused(w: &World, lang: &str) -> Resp {
    let (cookie, csrf) = signed_in(w);
    let heads = heads_of(&record(w, &w.bad)).join(",");
    let cookies = format!("{cookie}; fl_lang={lang}");
    http(
        &w.server.addr,
        "POST",
        &format!("/web/records/{}/approve", w.bad),
        &[FORM, ("Cookie", &cookies)],
        &form(&[("csrf", &csrf), ("heads", &heads), ("comment", "看过了")]),
    )
}

#[test]
fn error_pages_speak_the_page_language_and_name_lines() {
    let w = world();
    let zh = refused(&w, "zh-CN");
    assert_eq!(zh.status, 422, "{}", zh.text());
    let html = zh.text();
    assert!(html.contains("第2行 成本科目"), "{html}");
    assert!(html.contains("第2行 成本科目：99-999 不在本项目的基础数据中"), "{html}");
    assert!(!html.contains("lines[1]"), "no raw path: {html}");
    assert!(html.contains("<nav>") && html.contains("审批"), "the page frame with its navigation: {html}");
    assert!(html.contains("看过了"), "the comment typed is shown back: {html}");
    assert!(html.contains(&format!("href=\"/web/records/{}\"", w.bad)), "back to the record: {html}");
    let en = refused(&w, "en");
    assert_eq!(en.status, 422);
    let html = en.text();
    assert!(html.contains("Line 2, cost code: 99-999 is not"), "{html}");
    assert!(!html.contains("lines[1]"), "{html}");
    // Nothing was decided.
    assert_eq!(record(&w, &w.bad)["approval"]["decisions"].as_array().map(Vec::len), Some(0));
    // A rejection without a comment, in Chinese.
    let (cookie, csrf) = signed_in(&w);
    let heads = heads_of(&record(&w, &w.bad)).join(",");
    let r = http(
        &w.server.addr,
        "POST",
        &format!("/web/records/{}/reject", w.bad),
        &[FORM, ("Cookie", &format!("{cookie}; fl_lang=zh-CN"))],
        &form(&[("csrf", &csrf), ("heads", &heads), ("comment", " ")]),
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("驳回需填写意见"), "{}", r.text());
}

#[test]
fn browser_session_expiry_and_error_pages() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED browser_session_expiry_and_error_pages: no chromium/chromedriver");
        return;
    }
    let w = world();
    let base = format!("http://{}", w.server.addr);
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#lang-switch");
    b.goto(&format!("{base}/web/records/{}", w.sheet));
    b.wait_for("#approve-comment");
    let shown = hidden(&b.source(), "heads").expect("heads");
    b.type_into("#approve-comment", "两班人数已核对");
    // The session ends on the server while the page is open.
    let session = b
        .cookies()
        .iter()
        .find(|c| c["name"] == "fl_session")
        .and_then(|c| c["value"].as_str().map(str::to_string))
        .expect("session cookie");
    let csrf = hidden(&b.source(), "csrf").expect("csrf");
    sign_out(&w, &format!("fl_session={session}"), &csrf);
    b.click("#approve");
    b.wait_for("#kept");
    assert_eq!(b.text("#kept-comment"), "两班人数已核对");
    b.screenshot("session-1-kept-en-1440");
    b.type_into("#token", &w.sup);
    b.click("#sign-in");
    b.wait_for("#continue-question");
    assert!(
        b.text("#continue-question").starts_with("Continue approving Labour sheet"),
        "{}",
        b.text("#continue-question")
    );
    assert_eq!(b.text("#continue-comment"), "“两班人数已核对”");
    b.screenshot("session-2-continue-en-1440");
    b.resize(390, 844);
    b.screenshot("session-2-continue-en-390");
    b.resize(1440, 900);
    b.click("#continue");
    b.wait_for("#approve-form, #decide");
    let v = record(&w, &w.sheet);
    let d = &v["approval"]["decisions"][0];
    assert_eq!(d["comment"].as_str(), Some("两班人数已核对"), "{v}");
    let mut decided: Vec<String> =
        d["heads"].as_array().expect("heads").iter().map(|h| h.as_str().unwrap_or_default().to_string()).collect();
    decided.sort();
    let mut shown: Vec<String> = shown.split(',').map(str::to_string).collect();
    shown.sort();
    assert_eq!(decided, shown);

    // The refused approval, in both languages and at both widths.
    for (lang, words) in [("zh-CN", "第2行 成本科目"), ("en", "Line 2, cost code")] {
        b.resize(1440, 900);
        let back = format!("/web/records/{}", w.bad);
        b.goto(&format!("{base}/web/lang?to={lang}&back={}", form_encode(&back)));
        b.wait_for("#approve-comment");
        b.type_into("#approve-comment", "看过了");
        b.click("#approve");
        b.wait_for("#error-message");
        let message = b.text("#error-message");
        assert!(message.contains(words), "{message}");
        assert!(!message.contains("lines["), "{message}");
        assert!(b.exists("header.top nav"), "the navigation stays");
        assert_eq!(b.attr("#typed", "value").or_else(|| Some(b.text("#typed"))).as_deref(), Some("看过了"));
        let tag = if lang == "en" { "en" } else { "zh" };
        b.screenshot(&format!("session-3-error-{tag}-1440"));
        b.resize(390, 844);
        b.screenshot(&format!("session-3-error-{tag}-390"));
        let width = b.script("return document.documentElement.scrollWidth;");
        assert!(width.as_i64().is_some_and(|x| x <= 390), "the page scrolls sideways: {width}");
    }
}
