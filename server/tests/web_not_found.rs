//! Unknown paths under `/web/` get the screens' own 404 page (same frame, navigation and language
//! as the other pages, a link back to the queue); `/v1/…` paths keep their plain 404; the favicon
//! is served and linked. Through the real server binary, and once in headless Chromium for
//! screenshots (`<target>/screens/web-404-*.png`).

mod common;
mod webkit;

use common::*;
use webkit::{Browser, browser_available, http, session_of, sign_in};

const NAV: &str = r#"href="/web/cost""#;

#[test]
fn unknown_web_paths_get_the_apps_own_404() {
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start(dir.path());
    let addr = server.addr.as_str();
    let session = session_of(&sign_in(addr, &sup, "%2Fweb%2Fqueue"));

    for path in ["/web/nonsense", "/web/records/", "/web/records/a/b/c", "/web/queue/extra", "/web/static/nope.css"] {
        // English by Accept-Language, signed in: the navigation is there.
        let r = http(addr, "GET", path, &[("Cookie", &session), ("Accept-Language", "en-US,en;q=0.9")], b"");
        let html = r.text();
        assert_eq!(r.status, 404, "{path}: {html}");
        assert!(r.header("content-type").unwrap_or_default().starts_with("text/html"), "{path}: {:?}", r.headers);
        assert!(r.header("content-security-policy").is_some(), "{path}: page headers");
        assert!(html.contains(r#"<html lang="en">"#), "{path}: {html}");
        assert!(html.contains("This page does not exist."), "{path}: {html}");
        assert!(html.contains(r#"id="back-to-queue" href="/web/queue""#), "{path}: {html}");
        assert!(html.contains(NAV) && html.contains(r#"id="sign-out""#), "{path}: navigation: {html}");
        assert!(html.contains("(supervisor)"), "{path}: the role in the frame: {html}");

        // Chinese by the language cookie.
        let cookie = format!("{session}; fl_lang=zh-CN");
        let r = http(addr, "GET", path, &[("Cookie", &cookie), ("Accept-Language", "en")], b"");
        let html = r.text();
        assert_eq!(r.status, 404, "{path}: {html}");
        assert!(html.contains(r#"<html lang="zh-CN">"#), "{path}: {html}");
        assert!(html.contains("页面不存在") && html.contains("返回审批列表"), "{path}: {html}");
        // The approver is named as a contractor's team says it, not 监理 (the owner's engineer).
        assert!(html.contains("(生产经理)") && !html.contains("supervisor"), "{path}: the role in Chinese: {html}");
        assert!(html.contains(NAV), "{path}: navigation: {html}");
    }

    // Chinese by Accept-Language, signed out: the same page without the signed-in navigation (no
    // detour through the sign-in page: signing in would not make the path exist).
    let r = http(addr, "GET", "/web/nonsense", &[("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")], b"");
    let html = r.text();
    assert_eq!(r.status, 404, "{html}");
    assert!(html.contains("页面不存在") && html.contains(r#"href="/web/queue""#), "{html}");
    assert!(!html.contains(NAV) && !html.contains("sign-out"), "{html}");
    assert!(html.contains(r#"id="lang-switch""#), "the language switch stays: {html}");

    // Known screens still answer as before.
    assert_eq!(http(addr, "GET", "/web/queue", &[("Cookie", &session)], b"").status, 200);
    let r = http(addr, "GET", "/web/queue", &[], b"");
    assert_eq!((r.status, r.header("location")), (303, Some("/web/sign-in?next=%2Fweb%2Fqueue")));

    // API and other paths are not the screens': their 404 is unchanged (axum's default, an empty
    // body), never this HTML page.
    for path in ["/v1/unknown", "/v1/records/x/y", "/nonsense"] {
        let r = http(addr, "GET", path, &[("Accept-Language", "zh-CN")], b"");
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.header("content-type").unwrap_or_default().starts_with("text/html"), "{path}: {:?}", r.headers);
        assert!(!r.text().contains("页面不存在"), "{path}");
    }
}

#[test]
fn the_favicon_is_served_and_linked() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let addr = server.addr.as_str();
    for path in ["/favicon.ico", "/web/static/favicon.svg"] {
        let r = http(addr, "GET", path, &[], b"");
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").unwrap_or_default().starts_with("image/"), "{path}: {:?}", r.headers);
        assert!(r.text().starts_with("<svg") && r.text().contains("</svg>"), "{path}");
    }
    // Every page's frame links it (the sign-in page is one).
    let r = http(addr, "GET", "/web/sign-in", &[], b"");
    assert!(
        r.text().contains(r#"<link rel="icon" href="/web/static/favicon.svg" type="image/svg+xml">"#),
        "{}",
        r.text()
    );
}

#[test]
fn not_found_page_screenshots() {
    if !browser_available() {
        eprintln!("SKIPPED not_found_page_screenshots: no chromium or chromedriver (scripts/test-setup.sh)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start(dir.path());
    // `localhost`, not 127.0.0.1: browsers treat it as a secure context, so the Secure cookie sticks.
    let base = format!("http://{}", server.addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/sign-in"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &sup);
    b.click("#sign-in");
    b.wait_for("nav");

    for (lang, label) in [("en", "en"), ("zh-CN", "zh")] {
        b.goto(&format!("{base}/web/lang?to={lang}&back=%2Fweb%2Fnonsense"));
        b.wait_for("#not-found");
        assert!(b.exists("nav") && b.exists("#back-to-queue"));
        let want = if lang == "en" { "This page does not exist." } else { "页面不存在。" };
        assert_eq!(b.text("#not-found-message"), want);
        b.resize(1440, 900);
        b.screenshot(&format!("web-404-{label}-1440"));
        b.resize(390, 844);
        let fits = b.script("return document.documentElement.scrollWidth <= window.innerWidth;");
        assert_eq!(fits, serde_json::Value::Bool(true), "the page fits 390 px");
        b.screenshot(&format!("web-404-{label}-390"));
        b.resize(1440, 900);
    }
    // The link goes back to the queue.
    b.click("#back-to-queue");
    b.wait_for("nav a.on");
    assert!(b.url().ends_with("/web/queue"), "{}", b.url());
}
