//! The devices screen in Chromium (issue 20): a supervisor sees the project's phones with their last
//! sync ("just now", the exact time in the site's zone on hover) and app version, renames one,
//! revokes another after a confirmation step, and that phone's next sync is refused (401).
//! Screenshots `<target>/screens/devices-*.png`: 1440 and 390 px, English and 简体中文.

use fieldledger_tests::api::{import_reference, json_call};
use fieldledger_tests::phone::SimPhone;
use fieldledger_tests::records::reference_workbook;
use fieldledger_tests::webkit::{self, Browser};
use fieldledger_tests::*;
use serde_json::json;

fn device_id(addr: &str, token: &str) -> String {
    let (s, v) = json_call(addr, token, "GET", "/v1/whoami", None);
    assert_eq!(s, 200, "{v}");
    v["device_id"].as_str().expect("device id").to_string()
}

fn rename(addr: &str, sup: &str, id: &str, name: &str) {
    let (s, v) = json_call(addr, sup, "POST", &format!("/v1/devices/{id}/rename"), Some(json!({ "name": name })));
    assert_eq!(s, 200, "{v}");
}

/// Ties the devices to people as a pairing does (people rows, `devices.person_id`, a handset id),
/// straight in the server's SQLite database: the list then shows who carries each phone.
fn tie_to_people(dir: &std::path::Path, ties: &[(&str, &str, &str)]) {
    let (file, ties): (_, Vec<(String, String, String)>) = (
        format!("sqlite://{}", dir.join("server.db").display()),
        ties.iter().map(|(d, n, p)| (d.to_string(), n.to_string(), p.to_string())).collect(),
    );
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&file).await.expect("sqlite");
            for (n, (device, name, phone)) in ties.iter().enumerate() {
                let person = format!("person-{n}");
                sqlx::query("INSERT INTO people (id, name, phone, created_at_ms) VALUES ($1, $2, $3, 1)")
                    .bind(&person)
                    .bind(name)
                    .bind(phone)
                    .execute(&mut c)
                    .await
                    .expect("person");
                sqlx::query("UPDATE devices SET person_id = $1, handset_id = $2 WHERE id = $3")
                    .bind(&person)
                    .bind(format!("handset-{n}"))
                    .bind(device)
                    .execute(&mut c)
                    .await
                    .expect("device");
            }
        })
    })
    .join()
    .expect("database thread");
}

fn wait_url(b: &Browser, part: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !b.url().contains(part) {
        assert!(std::time::Instant::now() < deadline, "never reached {part:?}: {}", b.url());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    b.wait_for("main");
}

fn no_sideways_scroll(b: &Browser, what: &str) {
    let v = b.script("return [document.documentElement.scrollWidth, window.innerWidth];");
    let (sw, iw) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(sw <= iw, "{what}: the page scrolls sideways ({sw} > {iw})");
}

#[test]
fn a_supervisor_revokes_a_phone_from_the_screen() {
    if !webkit::browser_available() {
        eprintln!("SKIPPED: {} or {} is missing", webkit::CHROMIUM, webkit::CHROMEDRIVER);
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let lost = token(dir.path(), None, "P1");
    let kept = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    import_reference(&addr, &admin, &reference_workbook());
    let (lost_id, kept_id, sup_id) = (device_id(&addr, &lost), device_id(&addr, &kept), device_id(&addr, &sup));
    rename(&addr, &admin, &lost_id, "王建国 · 华为 Mate 60");
    rename(&addr, &admin, &kept_id, "李师傅 · 小米 14");
    rename(&addr, &admin, &sup_id, "张经理 · 办公室电脑");
    tie_to_people(
        dir.path(),
        &[(&lost_id, "王建国", "13812345678"), (&kept_id, "李德福", "13987654321"), (&sup_id, "张伟", "13700001111")],
    );
    let mut lost_phone = SimPhone::new(lost.clone());
    lost_phone.sync(&addr);
    SimPhone::new(kept.clone()).sync(&addr);
    // The last-seen write follows the response: wait until the list shows both phones' app.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, v) = json_call(&addr, &sup, "GET", "/v1/devices", None);
        let apps = v["devices"].as_array().map_or(0, |d| d.iter().filter(|d| d["app_version"].is_string()).count());
        if apps >= 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "app versions never recorded: {v}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let base = format!("http://{}", addr.replace("127.0.0.1", "localhost"));
    let b = Browser::start(1440, 900);
    b.goto(&format!("{base}/web/admin/devices"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &sup);
    b.click("#sign-in");
    b.wait_for("#devices");
    let row = format!("#dev-{lost_id}");
    assert!(b.text(&row).contains("王建国 · 华为 Mate 60"));
    assert_eq!(b.text(&format!("{row} .dev-person")), "王建国");
    assert_eq!(b.text(&format!("{row} .dev-app")), "fieldledger-simphone/1.0");
    assert_eq!(b.text(&format!("{row} .dev-seen")), "just now");
    let exact = b.attr(&format!("{row} .dev-seen time"), "title").unwrap_or_default();
    assert!(exact.starts_with("20") && exact.ends_with("Beijing time"), "the exact time in Shanghai time: {exact:?}");
    assert_eq!(b.text(&format!("{row} .dev-status")), "Active");
    assert!(b.text(&format!("#dev-{sup_id}")).contains("this browser's key"));
    assert!(!b.exists(".dev-rotate"), "a supervisor cannot rotate keys");
    assert_eq!(b.attr("#nav-devices", "class").as_deref(), Some("on"));
    b.screenshot("devices-en-1440");

    // Rename from the screen.
    b.click(&format!("#dev-{kept_id} details.dev-rename summary"));
    b.type_into(&format!("#dev-{kept_id} input[name=name]"), "李师傅 · 3号楼");
    b.click(&format!("#dev-{kept_id} .dev-save"));
    b.wait_for("#dev-notice");
    assert!(b.text(&format!("#dev-{kept_id}")).contains("李师傅 · 3号楼"));

    // Revoke: asked first, then done; the list says so.
    b.click(&format!("{row} .dev-revoke"));
    b.wait_for("#dev-confirm");
    assert!(b.text("#dev-confirm h1").contains("王建国 · 华为 Mate 60"));
    b.screenshot("devices-en-1440-confirm");
    b.click("#dev-confirm-yes");
    wait_url(&b, "done=revoked");
    assert_eq!(b.text("#dev-notice"), "The device was revoked: its next sync is refused.");
    assert!(b.attr(&row, "class").is_some_and(|c| c.contains("dev-revoked")));
    assert!(b.text(&format!("{row} .dev-status")).starts_with("Revoked 20"));
    assert!(!b.exists(&format!("{row} .dev-revoke")), "nothing more to do with it");

    // The phone's next sync is refused; the other phone syncs on.
    assert_eq!(lost_phone.try_sync(&addr).err().map(|e| e.0), Some(401));
    SimPhone::new(kept.clone()).sync(&addr);

    // Chinese, wide.
    b.goto(&format!("{base}/web/lang?to=zh-CN&back=%2Fweb%2Fadmin%2Fdevices"));
    wait_url(&b, "/web/admin/devices");
    b.wait_for("#devices");
    assert_eq!(b.text("h1"), "设备管理");
    assert_eq!(b.text(&format!("#dev-{kept_id} .dev-seen")), "刚刚");
    assert!(b.text(&format!("{row} .dev-status")).starts_with("已停用"));
    assert_eq!(b.text("#dev-count"), "正常 3 台，共 4 台");
    b.screenshot("devices-zh-1440");

    // Phones: cards, nothing wider than the screen.
    b.resize(390, 844);
    b.goto(&format!("{base}/web/admin/devices"));
    b.wait_for("#devices");
    no_sideways_scroll(&b, "devices zh 390");
    assert_eq!(b.script("return getComputedStyle(document.querySelector('#devices thead')).display;"), "none");
    b.screenshot("devices-zh-390");
    b.goto(&format!("{base}/web/admin/devices/{kept_id}/confirm?action=revoke"));
    b.wait_for("#dev-confirm");
    b.screenshot("devices-zh-390-confirm");
    b.goto(&format!("{base}/web/lang?to=en&back=%2Fweb%2Fadmin%2Fdevices"));
    wait_url(&b, "/web/admin/devices");
    b.wait_for("#devices");
    no_sideways_scroll(&b, "devices en 390");
    b.screenshot("devices-en-390");

    // An admin gives the other phone a new key: asked first, shown once; the old key is refused.
    b.resize(1440, 900);
    b.click("#sign-out");
    // The sign-out's own navigation first (else it may land after the page below and send the
    // sign-in to the queue).
    wait_url(&b, "/web/sign-in");
    b.goto(&format!("{base}/web/admin/devices"));
    b.wait_for("#sign-in-form");
    b.type_into("#token", &admin);
    b.click("#sign-in");
    b.wait_for("#devices");
    b.click(&format!("#dev-{kept_id} .dev-rotate"));
    b.wait_for("#dev-confirm");
    b.click("#dev-confirm-yes");
    b.wait_for("#dev-token");
    let new_key = b.text("#dev-token");
    assert!(new_key.starts_with("flt_") && new_key != kept, "{new_key}");
    assert!(b.text(".dev-warning").contains("shown only this once"));
    b.screenshot("devices-en-1440-new-key");
    assert_eq!(json_call(&addr, &kept, "GET", "/v1/whoami", None).0, 401, "the old key");
    SimPhone::new(new_key).sync(&addr);
    b.goto(&format!("{base}/web/admin/devices"));
    b.wait_for("#devices");
    assert!(!b.source().contains("flt_"), "the key is never shown again");
}

/// The screen's refusals over HTTP: no CSRF token 403, a bad name 400 in the page language with
/// nothing changed, another project's device 404, a foreman's key never gets the screen.
#[test]
fn the_screen_refuses_bad_input() {
    use fieldledger_tests::webkit::{hidden, http};
    let dir = tempfile::tempdir().expect("dir");
    let phone = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let elsewhere = token(dir.path(), None, "P2");
    let server = start_with(dir.path(), None);
    let addr = server.addr.as_str();
    let (phone_id, elsewhere_id) = (device_id(addr, &phone), device_id(addr, &elsewhere));
    let signed = webkit::sign_in(addr, &sup, "%2Fweb%2Fadmin%2Fdevices");
    assert_eq!(signed.status, 303);
    let cookie = format!("{}; fl_lang=zh-CN", webkit::session_of(&signed));
    let page = http(addr, "GET", "/web/admin/devices", &[("Cookie", &cookie)], b"");
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.text(), "csrf").expect("csrf");
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let post = |path: &str, body: String| http(addr, "POST", path, &[form, ("Cookie", &cookie)], body.as_bytes());

    let r = post(&format!("/web/admin/devices/{phone_id}/revoke"), String::new());
    assert_eq!(r.status, 403, "no CSRF token");
    let r = post(&format!("/web/admin/devices/{phone_id}/rename"), format!("csrf={csrf}&name=%20%20"));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("设备名称须为 1 至 100 个字符"), "{}", r.text());
    let long = "%E6%9C%BA".repeat(101);
    assert_eq!(post(&format!("/web/admin/devices/{phone_id}/rename"), format!("csrf={csrf}&name={long}")).status, 400);
    for action in ["revoke", "rename"] {
        let r = post(&format!("/web/admin/devices/{elsewhere_id}/{action}"), format!("csrf={csrf}&name=x"));
        assert_eq!(r.status, 404, "{action} of P2's device");
    }
    let r = http(
        addr,
        "GET",
        &format!("/web/admin/devices/{elsewhere_id}/confirm?action=revoke"),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(r.status, 404);
    let r = post(&format!("/web/admin/devices/{phone_id}/rotate"), format!("csrf={csrf}"));
    assert_eq!(r.status, 403, "a supervisor does not rotate keys");
    // Nothing changed: both phones still work, with their names.
    assert_eq!(json_call(addr, &phone, "GET", "/v1/whoami", None).1["device_name"], "device");
    assert_eq!(json_call(addr, &elsewhere, "GET", "/v1/whoami", None).0, 200);
    // A foreman's key never opens the screen.
    assert_eq!(webkit::sign_in(addr, &phone, "%2Fweb%2Fadmin%2Fdevices").status, 403);
}

/// The real phone library names itself on every sync (`Fieldledger-App`): the list shows its
/// version, and the time of that sync.
#[test]
fn the_phone_library_names_itself() {
    use fieldledger_tests::phone_core::{carpenters, new_sheet, open_phone};
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let sup = token_as(dir.path(), None, "P1", "supervisor");
    let server = start_with(dir.path(), None);
    let addr = server.addr.clone();
    let id = device_id(&addr, &foreman);
    let phone = open_phone(dir.path(), "王建国");
    let sheet = phone.create_labour_sheet(new_sheet()).expect("sheet").info.id;
    phone.add_crew_line(sheet, carpenters(6)).expect("line");
    // After whoami's write: the sync's new app version is written within the same minute.
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let report = rt.block_on(phone.sync(format!("http://{addr}"), foreman.clone(), None, None)).expect("sync");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, v) = json_call(&addr, &sup, "GET", "/v1/devices", None);
        let d = v["devices"].as_array().and_then(|l| l.iter().find(|d| d["id"] == id.as_str()).cloned());
        let d = d.expect("the phone is listed");
        if let Some(app) = d["app_version"].as_str() {
            assert_eq!(app, format!("fieldledger-mobile-core/{}", env!("CARGO_PKG_VERSION")));
            assert!(d["last_seen_at_ms"].as_i64().is_some_and(|t| t >= before), "{d}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no app version recorded: {d}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
