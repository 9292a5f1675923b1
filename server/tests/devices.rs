//! Devices through the real server binary, on SQLite and PostgreSQL (issue 20): the list shows a
//! phone's last sync and app version after it synced; revoking stops its next sync (401) and signs
//! out a revoked supervisor's browser session; renaming is bounded; rotating gives a new token and
//! kills the old one; another project's device is 404 and a foreman 403; every change is audited.
//! And the `device` commands of the binary.

mod common;

use common::api::json_call;
use common::phone::SimPhone;
use common::webkit::{self, http};
use common::*;
use serde_json::{Value, json};

struct World {
    dir: tempfile::TempDir,
    url: Option<String>,
    server: Server,
    foreman: String,
    sup: String,
    admin: String,
    /// A foreman of project P2.
    other: String,
}

impl World {
    fn addr(&self) -> &str {
        &self.server.addr
    }

    fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        json_call(self.addr(), token, method, path, body)
    }

    fn device_id(&self, token: &str) -> String {
        let (s, v) = self.call(token, "GET", "/v1/whoami", None);
        assert_eq!(s, 200, "{v}");
        v["device_id"].as_str().expect("device id").to_string()
    }

    fn devices(&self, token: &str) -> Vec<Value> {
        let (s, v) = self.call(token, "GET", "/v1/devices", None);
        assert_eq!(s, 200, "{v}");
        v["devices"].as_array().expect("devices").clone()
    }

    fn device(&self, id: &str) -> Value {
        self.devices(&self.admin).into_iter().find(|d| d["id"] == id).unwrap_or_else(|| panic!("{id} not listed"))
    }

    /// The access audit's events about `device`, oldest first (read from the database itself).
    fn audit(&self, device: &str) -> Vec<(String, String)> {
        let (dir, url, device) = (self.dir.path().to_path_buf(), self.url.clone(), device.to_string());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let db = server::db::Db::connect(url.as_deref(), &dir).await.expect("db");
                let all = server::access::audit::list(&db, None, true, None, 500).await.expect("audit");
                all.into_iter()
                    .rev()
                    .filter(|e| e.device_id.as_deref() == Some(&device))
                    .map(|e| (e.event, e.detail))
                    .collect()
            })
        })
        .join()
        .expect("audit thread")
    }
}

fn world(url: Option<&str>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), url, "P1");
    let sup = token_as(dir.path(), url, "P1", "supervisor");
    let admin = token_as(dir.path(), url, "P1", "admin");
    let other = token(dir.path(), url, "P2");
    let server = start_with(dir.path(), url);
    World { dir, url: url.map(str::to_string), server, foreman, sup, admin, other }
}

/// Waits (up to 5 s) until `f` holds of the device's listing: its last-seen write is spawned after
/// the response.
fn listed_when(w: &World, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let d = w.device(id);
        if f(&d) {
            return d;
        }
        assert!(std::time::Instant::now() < deadline, "never true of {d}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn devices_story(url: Option<&str>) {
    let w = world(url);
    let addr = w.addr().to_string();
    let phone_id = w.device_id(&w.foreman);
    let sup_id = w.device_id(&w.sup);
    let admin_id = w.device_id(&w.admin);
    let other_id = w.device_id(&w.other);

    // Listed before any sync: never seen, no app version.
    let before = w.device(&phone_id);
    assert_eq!(before["role"], "foreman");
    assert_eq!(before["projects"], json!(["P1"]));
    assert_eq!(before["revoked_at_ms"], Value::Null);

    // A sync with the app header: the list shows when and which app.
    let t0 = now_ms();
    let mut phone = SimPhone::new(w.foreman.clone());
    phone.sync(&addr);
    let seen = listed_when(&w, &phone_id, |d| d["app_version"] == "fieldledger-simphone/1.0");
    let at = seen["last_seen_at_ms"].as_i64().expect("last seen");
    assert!(at >= t0 && at <= now_ms(), "{at} not within the sync ({t0}..)");

    // A header too long is cut, an odd one ignored; neither fails the request.
    let other_phone = token(w.dir.path(), url, "P1");
    let other_phone_id = w.device_id(&other_phone);
    let long = "x".repeat(300);
    let (s, _) = send(
        &addr,
        "GET",
        "/v1/whoami",
        &[("Authorization", &format!("Bearer {other_phone}")), ("Fieldledger-App", &long)],
        b"",
    );
    assert_eq!(s, 200);
    let cut = listed_when(&w, &other_phone_id, |d| d["app_version"].is_string());
    assert_eq!(cut["app_version"].as_str().map(str::len), Some(100));

    // Only the project's devices are listed; another project's is 404 for every action.
    let p1: Vec<String> = w.devices(&w.sup).iter().map(|d| d["id"].as_str().unwrap_or_default().to_string()).collect();
    assert!(p1.contains(&phone_id) && p1.contains(&sup_id) && p1.contains(&admin_id));
    assert!(!p1.contains(&other_id), "P2's device is not P1's business");
    for action in ["revoke", "rename", "rotate"] {
        let (s, v) = w.call(&w.admin, "POST", &format!("/v1/devices/{other_id}/{action}"), Some(json!({"name": "x"})));
        assert_eq!(s, 404, "{action}: {v}");
        let (s, _) =
            w.call(&w.admin, "POST", &format!("/v1/devices/no-such-device/{action}"), Some(json!({"name": "x"})));
        assert_eq!(s, 404, "{action} of an unknown id");
    }
    assert_eq!(w.call(&w.other, "GET", "/v1/whoami", None).0, 200, "P2's device untouched");

    // A foreman may not list or act on others (403, before any lookup); a supervisor may not rotate.
    assert_eq!(w.call(&w.foreman, "GET", "/v1/devices", None).0, 403);
    assert_eq!(w.call(&w.foreman, "POST", &format!("/v1/devices/{sup_id}/revoke"), None).0, 403);
    assert_eq!(w.call(&w.foreman, "POST", &format!("/v1/devices/{other_id}/revoke"), None).0, 403);
    assert_eq!(w.call(&w.sup, "POST", &format!("/v1/devices/{phone_id}/rotate"), None).0, 403);
    assert_eq!(w.call(&w.sup, "POST", &format!("/v1/devices/{admin_id}/revoke"), None).0, 403, "an admin's device");
    assert_eq!(w.call(&w.sup, "GET", "/v1/whoami", None).0, 200);

    // Rename: bounded, with the field named; a refused name changes nothing.
    for bad in [json!({"name": "  "}), json!({"name": "机".repeat(101)}), json!({"name": "a\nb"}), json!({})] {
        let (s, v) = w.call(&w.sup, "POST", &format!("/v1/devices/{phone_id}/rename"), Some(bad.clone()));
        assert_eq!(s, 400, "{bad}: {v}");
        assert_eq!(v["field"], "name", "{v}");
    }
    assert_eq!(w.device(&phone_id)["name"], before["name"]);
    let (s, v) =
        w.call(&w.sup, "POST", &format!("/v1/devices/{phone_id}/rename"), Some(json!({"name": " 王建国的手机 "})));
    assert_eq!(s, 200, "{v}");
    assert_eq!(w.device(&phone_id)["name"], "王建国的手机");

    // Rotate (admin): the new token works, the old one is 401 at once.
    let old_token = other_phone.clone();
    let (s, v) = w.call(&w.admin, "POST", &format!("/v1/devices/{other_phone_id}/rotate"), None);
    assert_eq!(s, 200, "{v}");
    let new_token = v["token"].as_str().expect("new token").to_string();
    assert_eq!((v["role"].as_str(), v["project_id"].as_str()), (Some("foreman"), Some("P1")));
    assert_ne!(new_token, old_token);
    let mut old_phone = SimPhone::new(old_token);
    assert_eq!(old_phone.try_sync(&addr).err().map(|e| e.0), Some(401));
    let mut new_phone = SimPhone::new(new_token.clone());
    new_phone.sync(&addr);
    assert_eq!(w.device_id(&new_token), other_phone_id, "the same device");

    // A supervisor's browser session: signed in, then the device is revoked by the admin.
    let sup2 = token_as(w.dir.path(), url, "P1", "supervisor");
    let sup2_id = w.device_id(&sup2);
    let signed = webkit::sign_in(&addr, &sup2, "%2Fweb%2Fqueue");
    assert_eq!(signed.status, 303, "{}", signed.text());
    let cookie = webkit::session_of(&signed);
    assert_eq!(http(&addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"").status, 200);
    let (s, v) = w.call(&w.admin, "POST", &format!("/v1/devices/{sup2_id}/revoke"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revoked"], json!([sup2_id]));
    let after = http(&addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    assert_eq!(after.status, 303, "signed out");
    assert!(after.header("location").is_some_and(|l| l.starts_with("/web/sign-in")), "{:?}", after.headers);
    assert_eq!(w.call(&sup2, "GET", "/v1/whoami", None).0, 401);

    // Revoke the phone (supervisor): its next sync is 401; the list says revoked.
    let (s, v) = w.call(&w.sup, "POST", &format!("/v1/devices/{phone_id}/revoke"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(phone.try_sync(&addr).err().map(|e| e.0), Some(401));
    assert!(w.device(&phone_id)["revoked_at_ms"].is_i64());
    // Again: nothing more to revoke, still fine; rotating a revoked device is refused.
    assert_eq!(w.call(&w.sup, "POST", &format!("/v1/devices/{phone_id}/revoke"), None).1["revoked"], json!([]));
    assert_eq!(w.call(&w.admin, "POST", &format!("/v1/devices/{phone_id}/rotate"), None).0, 409);

    // A device may revoke itself (a phone signing out for good), whatever its role.
    let (s, _) = w.call(&new_token, "POST", &format!("/v1/devices/{other_phone_id}/revoke"), None);
    assert_eq!(s, 200);
    assert_eq!(w.call(&new_token, "GET", "/v1/whoami", None).0, 401);

    // The audit: each change with who did it.
    let events = |id: &str| w.audit(id).into_iter().map(|(e, _)| e).collect::<Vec<_>>();
    assert_eq!(events(&phone_id), ["token_created", "device_renamed", "device_revoked"]);
    assert_eq!(events(&other_phone_id), ["token_created", "token_rotated", "device_revoked"]);
    assert_eq!(events(&sup2_id), ["token_created", "device_revoked"]);
    let renamed = w.audit(&phone_id).into_iter().find(|(e, _)| e == "device_renamed").expect("renamed").1;
    assert!(renamed.contains("王建国的手机") && renamed.contains(&sup_id), "{renamed}");
    assert!(events(&other_id) == ["token_created"], "P2's device had nothing done to it");
}

#[test]
fn devices_on_sqlite() {
    devices_story(None);
}

#[test]
fn devices_on_postgres() {
    let pg = ThrowawayPg::create();
    devices_story(Some(&pg.url()));
}

/// `device list|rename|rotate|revoke` on the command line, against a running server.
#[test]
fn device_commands() {
    let w = world(None);
    let (dir, addr) = (w.dir.path(), w.addr().to_string());
    let phone_id = w.device_id(&w.foreman);
    SimPhone::new(w.foreman.clone()).sync(&addr);
    listed_when(&w, &phone_id, |d| d["app_version"].is_string());

    let (ok, out, err) = cli(dir, None, &["device", "list", "--project", "P1", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let listed = v["devices"].as_array().expect("devices");
    assert_eq!(listed.len(), 3, "P1's three devices: {v}");
    let phone = listed.iter().find(|d| d["id"] == phone_id.as_str()).expect("the phone");
    assert_eq!(phone["app_version"], "fieldledger-simphone/1.0");
    let (ok, table, _) = cli(dir, None, &["device", "list"]);
    assert!(ok);
    assert!(table.lines().count() == 5 && table.contains(&phone_id) && table.contains("P2"), "{table}");

    let (ok, _, err) = cli(dir, None, &["device", "rename", &phone_id, "3号楼 工长手机"]);
    assert!(ok, "{err}");
    assert_eq!(w.device(&phone_id)["name"], "3号楼 工长手机");
    let (ok, _, err) = cli(dir, None, &["device", "rename", &phone_id, ""]);
    assert!(!ok && err.contains("name"), "{err}");

    let (ok, out, err) = cli(dir, None, &["device", "rotate", &phone_id]);
    assert!(ok, "{err}");
    let rotated = out.trim().to_string();
    assert!(rotated.starts_with("flt_"), "{out}");
    assert_eq!(w.call(&w.foreman, "GET", "/v1/whoami", None).0, 401, "the old token");
    assert_eq!(w.call(&rotated, "GET", "/v1/whoami", None).0, 200, "the new token");

    for args in [["device", "revoke", "no-such-device"], ["device", "rotate", "no-such-device"]] {
        let (ok, _, err) = cli(dir, None, &args);
        assert!(!ok && err.contains("no device \"no-such-device\""), "{args:?}: {err}");
    }
    let (ok, out, err) = cli(dir, None, &["device", "revoke", &phone_id]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), phone_id);
    assert_eq!(w.call(&rotated, "GET", "/v1/whoami", None).0, 401);
    assert!(w.audit(&phone_id).iter().any(|(e, d)| e == "device_revoked" && d.contains("command line")));
}

/// Sets `devices.handset_id` (and a person) as a pairing does: one phone holding two projects.
fn same_handset(w: &World, devices: &[&str]) {
    let (dir, url) = (w.dir.path().to_path_buf(), w.url.clone());
    let devices: Vec<String> = devices.iter().map(|d| d.to_string()).collect();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let db = server::db::Db::connect(url.as_deref(), &dir).await.expect("db");
            let person =
                "INSERT INTO people (id, name, phone, created_at_ms) VALUES ('p-wang', '王建国', '13812345678', 1)";
            let tie = "UPDATE devices SET handset_id = 'handset-1', person_id = 'p-wang' WHERE id = $1";
            match &db {
                server::db::Db::Sqlite(p) => {
                    sqlx::query(person).execute(p).await.expect("person");
                    for d in &devices {
                        sqlx::query(tie).bind(d).execute(p).await.expect("tie");
                    }
                }
                server::db::Db::Postgres(p) => {
                    sqlx::query(person).execute(p).await.expect("person");
                    for d in &devices {
                        sqlx::query(tie).bind(d).execute(p).await.expect("tie");
                    }
                }
            }
        })
    })
    .join()
    .expect("database thread");
}

/// A phone paired for P1 and P2 is one handset: P1's supervisor revoking it stops it on both
/// projects; P2's list shows it revoked, with its person.
fn handset_story(url: Option<&str>) {
    let w = world(url);
    let addr = w.addr().to_string();
    let sup2 = token_as(w.dir.path(), url, "P2", "supervisor");
    let (on_p1, on_p2) = (w.device_id(&w.foreman), w.device_id(&w.other));
    same_handset(&w, &[&on_p1, &on_p2]);
    let listed = w.device(&on_p1);
    assert_eq!((listed["person_name"].as_str(), listed["handset_id"].as_str()), (Some("王建国"), Some("handset-1")));

    let (s, v) = w.call(&w.sup, "POST", &format!("/v1/devices/{on_p1}/revoke"), None);
    assert_eq!(s, 200, "{v}");
    let mut revoked: Vec<String> =
        v["revoked"].as_array().expect("revoked").iter().filter_map(|d| d.as_str().map(str::to_string)).collect();
    revoked.sort();
    let mut both = vec![on_p1.clone(), on_p2.clone()];
    both.sort();
    assert_eq!(revoked, both);
    assert_eq!(SimPhone::new(w.other.clone()).try_sync(&addr).err().map(|e| e.0), Some(401), "P2 too");
    let (s, v) = w.call(&sup2, "GET", "/v1/devices", None);
    assert_eq!(s, 200, "{v}");
    let p2 = v["devices"].as_array().expect("devices").iter().find(|d| d["id"] == on_p2.as_str()).cloned();
    let p2 = p2.expect("P2 lists its row of the phone");
    assert!(p2["revoked_at_ms"].is_i64() && p2["person_name"] == "王建国", "{p2}");
    let events: Vec<String> = w.audit(&on_p2).into_iter().map(|(e, d)| format!("{e}: {d}")).collect();
    assert!(events.iter().any(|e| e.starts_with("device_revoked") && e.contains(&on_p1)), "{events:?}");
}

#[test]
fn a_handset_is_revoked_on_every_project_on_sqlite() {
    handset_story(None);
}

#[test]
fn a_handset_is_revoked_on_every_project_on_postgres() {
    let pg = ThrowawayPg::create();
    handset_story(Some(&pg.url()));
}

/// "Last seen" notes are written by tasks of their own and may land out of order (a `whoami` just
/// before a sync): an older note never replaces a newer one, nor its app version.
#[test]
fn an_older_seen_note_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let foreman = token(dir.path(), None, "P1");
    let hash = server::auth::token_sha256(&foreman);
    let path = dir.path().to_path_buf();
    let got = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let db = server::db::Db::connect(None, &path).await.expect("db");
            server::access::devices::mark_seen(&db, &hash, Some("app/2"), 2_000).await.expect("newer");
            server::access::devices::mark_seen(&db, &hash, Some("app/1"), 1_000).await.expect("older");
            let server::db::Db::Sqlite(pool) = &db else { unreachable!("SQLite") };
            sqlx::query_as::<_, (Option<i64>, Option<String>)>("SELECT last_seen_at_ms, app_version FROM devices")
                .fetch_one(pool)
                .await
                .expect("row")
        })
    })
    .join()
    .expect("thread");
    assert_eq!(got, (Some(2_000), Some("app/2".to_string())));
}
