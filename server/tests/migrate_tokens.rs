//! Upgrading keeps every phone signed in (issue 20): a database built with the migrations up to
//! 0014 only (the schema before people and devices' new columns), holding devices, tokens and a
//! browser session stored as that server stored them, is opened by the current server binary; every
//! token still authenticates (API and sync), the session is still signed in, a token revoked before
//! the upgrade stays refused. On SQLite and PostgreSQL.

mod common;

use common::api::json_call;
use common::phone::SimPhone;
use common::webkit::http;
use common::*;
use server::auth::{new_token, token_sha256};
use server::db::Db;

/// The same sqlx code on whichever pool `db` holds (the server's `on_pool!` is its own).
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// The last migration of the schema before issue 20.
const BEFORE: i64 = 14;

struct Old {
    foreman: String,
    supervisor: String,
    revoked: String,
    /// The cookie value of a browser session opened with the supervisor's token.
    session: String,
}

/// Rows as the server before 0015 wrote them (`insert_device_token`, `web::session::open`).
async fn store_old(db: &Db) -> Old {
    let now = 1_764_000_000_000_i64;
    let old = Old { foreman: new_token(), supervisor: new_token(), revoked: new_token(), session: new_token() };
    for (n, (token, role, revoked)) in
        [(&old.foreman, "foreman", None), (&old.supervisor, "supervisor", None), (&old.revoked, "foreman", Some(now))]
            .into_iter()
            .enumerate()
    {
        let device = format!("0193b000-0000-7000-8000-00000000000{n}");
        on_pool!(db, |p| sqlx::query("INSERT INTO devices (id, name, created_at_ms) VALUES ($1, $2, $3)")
            .bind(&device)
            .bind(format!("old {role} {n}"))
            .bind(now)
            .execute(p)
            .await
            .map(drop))
        .expect("device");
        on_pool!(db, |p| sqlx::query(
            "INSERT INTO tokens (token_sha256, device_id, role, project_id, created_at_ms, revoked_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(token_sha256(token))
        .bind(&device)
        .bind(role)
        .bind("P1")
        .bind(now)
        .bind(revoked)
        .execute(p)
        .await
        .map(drop))
        .expect("token");
    }
    let far = i64::MAX / 2;
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO web_sessions (id_sha256, token_sha256, csrf_token, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_sha256(&old.session))
    .bind(token_sha256(&old.supervisor))
    .bind("csrf-before-the-upgrade")
    .bind(now)
    .bind(far)
    .execute(p)
    .await
    .map(drop))
    .expect("session");
    old
}

/// The schema version the database is at.
async fn version(db: &Db) -> i64 {
    on_pool!(db, |p| sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(p).await)
        .expect("version")
}

fn in_runtime<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(f)
    })
    .join()
    .expect("database thread")
}

fn upgrade_keeps_tokens(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (path, owned_url) = (dir.path().to_path_buf(), url.map(str::to_string));
    let old = in_runtime(async move {
        let db = Db::connect_until(owned_url.as_deref(), &path, BEFORE).await.expect("old schema");
        assert_eq!(version(&db).await, BEFORE);
        // Really the old schema: devices have none of 0015's columns yet.
        let probe = on_pool!(&db, |p| sqlx::query("SELECT revoked_at_ms FROM devices").fetch_all(p).await.map(drop));
        assert!(probe.is_err(), "devices.revoked_at_ms exists before 0015");
        let old = store_old(&db).await;
        on_pool!(&db, |p| p.close().await);
        old
    });

    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();
    let (path, owned_url) = (dir.path().to_path_buf(), url.map(str::to_string));
    let upgraded = in_runtime(async move {
        // A plain connection: `Db::connect` would migrate it itself.
        let db = match owned_url {
            Some(url) => Db::Postgres(sqlx::PgPool::connect(&url).await.expect("pg")),
            None => {
                let file = format!("sqlite://{}", path.join("server.db").display());
                Db::Sqlite(sqlx::SqlitePool::connect(&file).await.expect("sqlite"))
            }
        };
        version(&db).await
    });
    assert!(upgraded > BEFORE, "the server migrated the database (at {upgraded})");

    // The API and the sync take the old tokens.
    for (token, role) in [(&old.foreman, "foreman"), (&old.supervisor, "supervisor")] {
        let (s, v) = json_call(addr, token, "GET", "/v1/whoami", None);
        assert_eq!((s, v["role"].as_str()), (200, Some(role)), "{v}");
        SimPhone::new(token.clone()).sync(addr);
    }
    let (s, v) = json_call(addr, &old.supervisor, "GET", "/v1/approvals/pending", None);
    assert_eq!(s, 200, "{v}");
    // The browser session opened before the upgrade is still signed in.
    let cookie = format!("fl_session={}", old.session);
    let page = http(addr, "GET", "/web/queue", &[("Cookie", &cookie)], b"");
    assert_eq!(page.status, 200, "{}", page.text());
    // A token revoked before stays refused, on both paths.
    assert_eq!(json_call(addr, &old.revoked, "GET", "/v1/whoami", None).0, 401);
    assert_eq!(SimPhone::new(old.revoked.clone()).try_sync(addr).err().map(|e| e.0), Some(401));
    // And the old devices are in the new device list, the revoked one as revoked.
    let (s, v) = json_call(addr, &old.supervisor, "GET", "/v1/devices", None);
    assert_eq!(s, 200, "{v}");
    let listed = v["devices"].as_array().expect("devices");
    assert_eq!(listed.len(), 3, "{v}");
    assert_eq!(listed.iter().filter(|d| d["revoked_at_ms"].is_i64()).count(), 1, "{v}");
}

#[test]
fn old_tokens_work_after_the_upgrade_on_sqlite() {
    upgrade_keeps_tokens(None);
}

#[test]
fn old_tokens_work_after_the_upgrade_on_postgres() {
    let pg = ThrowawayPg::create();
    upgrade_keeps_tokens(Some(&pg.url()));
}
