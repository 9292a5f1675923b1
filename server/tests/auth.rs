//! Device tokens: created by the admin command, stored hashed, checked on every request. The same
//! story on SQLite and on PostgreSQL.

mod common;

use common::*;

fn token_story(database_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ok, token, err) = cli(
        dir.path(),
        database_url,
        &["token", "create", "--project", "P1", "--role", "foreman", "--name", "李工 iPhone"],
    );
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("flt_") && token.len() == 68, "{token}");

    let server = start_with(dir.path(), database_url);
    let bearer = format!("Bearer {token}");
    let (status, body) = get_with(&server.addr, "/v1/whoami", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"role\":\"foreman\"") && body.contains("\"project_id\":\"P1\""), "{body}");
    assert!(body.contains("李工 iPhone"), "{body}");

    for (headers, why) in [
        (vec![], "no header"),
        (vec![("Authorization", "Bearer flt_0000")], "unknown token"),
        (vec![("Authorization", token.as_str())], "no Bearer scheme"),
        (vec![("Authorization", "Bearer ")], "empty token"),
    ] {
        let (status, body) = get_with(&server.addr, "/v1/whoami", &headers);
        assert_eq!(status, 401, "{why}: {body}");
        assert!(
            body.contains("\"error\":\"unauthorized\"") && body.contains("\"field\":\"authorization\""),
            "{why}: {body}"
        );
    }
    drop(server);

    // Only the hash is stored: the token text is nowhere in the SQLite file.
    if database_url.is_none() {
        let db = std::fs::read(dir.path().join("server.db")).expect("db file");
        let wal = std::fs::read(dir.path().join("server.db-wal")).unwrap_or_default();
        let hay = [db, wal].concat();
        assert!(!hay.windows(token.len()).any(|w| w == token.as_bytes()), "token stored in clear");
    }

    // `--count N`: N devices, one token per line, each working.
    let (ok, out, err) =
        cli(dir.path(), database_url, &["token", "create", "--project", "P1", "--role", "foreman", "--count", "3"]);
    assert!(ok, "{err}");
    let tokens: std::collections::BTreeSet<&str> = out.lines().collect();
    assert!(tokens.len() == 3 && tokens.iter().all(|t| t.starts_with("flt_") && t.len() == 68), "{out}");
    let server = start_with(dir.path(), database_url);
    for t in &tokens {
        let (status, body) = get_with(&server.addr, "/v1/whoami", &[("Authorization", &format!("Bearer {t}"))]);
        assert_eq!(status, 200, "{body}");
    }
    drop(server);
    let (ok, _, _) =
        cli(dir.path(), database_url, &["token", "create", "--project", "P1", "--role", "foreman", "--count", "0"]);
    assert!(!ok, "--count 0 is refused");

    let (ok, _, err) = cli(dir.path(), database_url, &["token", "create", "--project", "P1", "--role", "owner"]);
    assert!(!ok && err.contains("owner"), "{err}");
    let (ok, _, err) = cli(dir.path(), database_url, &["token", "create", "--project", "  ", "--role", "admin"]);
    assert!(!ok && err.contains("project"), "{err}");
}

#[test]
fn tokens_on_sqlite() {
    token_story(None);
}

#[test]
fn tokens_on_postgresql() {
    let pg = ThrowawayPg::create();
    token_story(Some(&pg.url()));
}
