//! Sync scopes' facts on the server (issue 25, docs/sync-scopes.md §2), through the real binary on
//! SQLite and PostgreSQL, read back with SQL: a phone's sync of a record stores its site, date, owner
//! (the syncing device, or its person) and open; an approval closes it and its `approval:` companion
//! (both listed again: a new change number); a rejection and an edit after approval reopen it; an
//! observation assigned to a member carries the person, and closing it closes it; bad scope
//! parameters (unknown sites, windows out of range) are refused naming the field with nothing stored;
//! `token create --full-scope` marks the device; an existing database upgraded to migration 0026 has
//! its records' facts filled from the record index.

mod common;

use common::funds_fixture::{Funds, setup};
use common::phone::SimPhone;
use common::records;
use common::*;
use record_schema::{FollowUp, ObservationCategory, Record, Severity};
use serde_json::json;

macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            server::db::Db::Sqlite($p) => $body,
            server::db::Db::Postgres($p) => $body,
        }
    };
}

const SHEET: &str = "0193a000-0000-7000-8000-0000000000d1";
const OBS: &str = "0193a000-0000-7000-8000-0000000000d2";

/// One number of the server's database (`count` runs any scalar query).
fn num(f: &Funds, sql: &str) -> i64 {
    f.count(sql)
}

/// Whether document `id`'s facts are exactly these (NULL where `None`).
fn facts_are(f: &Funds, id: &str, site: Option<&str>, date: Option<&str>, open: i64) -> bool {
    let eq = |col: &str, v: Option<&str>| match v {
        Some(v) => format!("{col} = '{v}'"),
        None => format!("{col} IS NULL"),
    };
    num(
        f,
        &format!(
            "SELECT count(*) FROM documents WHERE id = '{id}' AND {} AND {} AND scope_open = {open}",
            eq("scope_site", site),
            eq("scope_date", date)
        ),
    ) == 1
}

fn seq(f: &Funds, id: &str) -> i64 {
    num(f, &format!("SELECT change_seq FROM documents WHERE id = '{id}'"))
}

fn open_of(f: &Funds, id: &str) -> i64 {
    num(f, &format!("SELECT scope_open FROM documents WHERE id = '{id}'"))
}

#[test]
fn facts_follow_syncs_decisions_and_follow_ups_on_sqlite() {
    facts(None);
}

#[test]
fn facts_follow_syncs_decisions_and_follow_ups_on_postgresql() {
    let pg = ThrowawayPg::create();
    facts(Some(&pg.url()));
}

fn facts(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();
    let approval = format!("approval:{SHEET}");

    // A foreman's phone (a token without a person) syncs a new expense: site, date, owner, open.
    let mut phone = SimPhone::new(f.foreman.clone());
    phone.docs.insert(SHEET.into(), records::expense_doc(&records::expense(SHEET, "P1")));
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert!(facts_are(&f, SHEET, Some("S1"), Some("2026-11-20"), 1));
    let owner = "SELECT count(*) FROM documents WHERE id = '{id}' AND scope_owner = \
                 (SELECT 'd:' || t.device_id FROM tokens t JOIN devices d ON d.id = t.device_id \
                  WHERE t.role = 'foreman' AND t.project_id = 'P1')";
    assert_eq!(num(&f, &owner.replace("{id}", SHEET)), 1, "the syncing device owns it");

    // Approved at its current heads: closed, with its approval companion, both listed again.
    let before = seq(&f, SHEET);
    let d = api::approve_current(&addr, &f.sup, SHEET);
    assert_eq!(d["decision"]["status"], "approved", "{d}");
    assert!(facts_are(&f, SHEET, Some("S1"), Some("2026-11-20"), 0));
    assert!(facts_are(&f, &approval, Some("S1"), Some("2026-11-20"), 0), "the companion carries the facts");
    assert_eq!(num(&f, &owner.replace("{id}", &approval)), 1, "and the owner");
    assert!(seq(&f, SHEET) > before, "the record is listed again once closed");
    let approval_seq = seq(&f, &approval);

    // The foreman edits it after the approval: open again, and the companion with it.
    phone.sync(&addr); // (the approval reaches the phone)
    phone.set_expense_amount(SHEET, 99_00);
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    assert_eq!(open_of(&f, SHEET), 1, "an edit after approval reopens");
    assert_eq!(open_of(&f, &approval), 1);
    assert!(seq(&f, &approval) > approval_seq, "the companion is listed again too");
    assert_eq!(num(&f, &owner.replace("{id}", SHEET)), 1, "the owner never changes");

    // Approved again, then the same version rejected is refused; a rejection of a newer edit reopens.
    api::approve_current(&addr, &f.sup, SHEET);
    assert_eq!((open_of(&f, SHEET), open_of(&f, &approval)), (0, 0));
    phone.sync(&addr);
    phone.set_expense_amount(SHEET, 77_00);
    assert!(phone.sync(&addr).errors.is_empty());
    let d = api::decide_current(&addr, &f.sup, SHEET, "reject", "wrong amount");
    assert_eq!(d["decision"]["status"], "rejected", "{d}");
    assert_eq!((open_of(&f, SHEET), open_of(&f, &approval)), (1, 1), "rejected: open");

    // A second sync of the record changes nothing of its facts (no new number from them).
    let quiet = seq(&f, SHEET);
    phone.sync(&addr);
    assert_eq!(seq(&f, SHEET), quiet);

    // An observation, assigned to a member of the project (a person), carries the person.
    let (ok, person, err) = cli(f.dir.path(), url, &["person", "add", "--name", "王工", "--phone", "13800000001"]);
    assert!(ok, "{err}");
    let person = person.trim().to_string();
    let (ok, _, err) =
        cli(f.dir.path(), url, &["person", "grant", "--person", &person, "--project", "P1", "--role", "foreman"]);
    assert!(ok, "{err}");
    let o = records::observation(OBS, ObservationCategory::Safety, Severity::High, "临边防护缺失", "6层", "无栏杆");
    phone.docs.insert(OBS.into(), records::observation_doc(&o));
    assert!(phone.sync(&addr).errors.is_empty());
    let today = records::site_today();
    assert!(facts_are(&f, OBS, Some("S1"), Some(&today), 1));

    // A person not on the project is refused, naming the field, and nothing changes.
    let (s, v) = f.call(
        &f.sup,
        "POST",
        &format!("/v1/observations/{OBS}/assign"),
        Some(json!({ "assignee_person": "nobody-here" })),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("assignee_person")), "{v}");
    assert_eq!(num(&f, &format!("SELECT count(*) FROM observation_events WHERE record_id = '{OBS}'")), 0);
    assert_eq!(num(&f, "SELECT count(*) FROM documents WHERE scope_assignee IS NOT NULL"), 0);

    let (s, v) = f.call(
        &f.sup,
        "POST",
        &format!("/v1/observations/{OBS}/assign"),
        Some(json!({ "assignee_person": person, "due": today })),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["assignee_person"], json!(person), "{v}");
    assert_eq!(v["observation"]["assignee"], "王工", "the member's name when none is typed: {v}");
    let assigned = format!(
        "SELECT count(*) FROM documents WHERE id IN ('{OBS}', 'follow_up:{OBS}') \
                            AND scope_assignee = '{person}' AND scope_open = 1 AND scope_site = 'S1'"
    );
    assert_eq!(num(&f, &assigned), 2, "the record and its follow-up carry the person");
    // The follow-up document tells the phone whom it is assigned to.
    assert!(phone.sync(&addr).errors.is_empty());
    let follow_up = phone.docs.get(&format!("follow_up:{OBS}")).expect("the follow-up reached the phone");
    assert_eq!(FollowUp::read_assignee_person(follow_up).expect("reads").as_deref(), Some(person.as_str()));

    // Closed: not open any more (record and follow-up); reopened: open again.
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/close"), Some(json!({"resolution": "装好"})));
    assert_eq!(s, 200, "{v}");
    assert_eq!((open_of(&f, OBS), open_of(&f, &format!("follow_up:{OBS}"))), (0, 0));
    // The foreman edits the closed observation: still closed (its follow-up is the office's).
    phone.edit(OBS, |r| {
        let Record::Observation(o) = r else { panic!("an observation") };
        o.title = "临边防护缺失（已整改）".into();
    });
    assert!(phone.sync(&addr).errors.is_empty());
    assert_eq!(open_of(&f, OBS), 0, "an edit of a closed observation leaves it closed");
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/reopen"), Some(json!({})));
    assert_eq!(s, 200, "{v}");
    assert_eq!((open_of(&f, OBS), open_of(&f, &format!("follow_up:{OBS}"))), (1, 1));
    // Assigned by name only: nobody's phone.
    let (s, v) = f.call(&f.sup, "POST", &format!("/v1/observations/{OBS}/assign"), Some(json!({ "assignee": "李工" })));
    assert_eq!(s, 200, "{v}");
    assert_eq!(num(&f, "SELECT count(*) FROM documents WHERE scope_assignee IS NOT NULL"), 0);
}

#[test]
fn scope_parameters_are_checked_and_stored_on_sqlite() {
    parameters(None);
}

#[test]
fn scope_parameters_are_checked_and_stored_on_postgresql() {
    let pg = ThrowawayPg::create();
    parameters(Some(&pg.url()));
}

fn parameters(url: Option<&str>) {
    let f = setup(url);
    let dir = f.dir.path();
    let sites = |person: &str| {
        num(&f, &format!("SELECT count(*) FROM membership_sites WHERE person_id = '{person}' AND project_id = 'P1'"))
    };
    let (ok, person, err) = cli(dir, url, &["person", "add", "--name", "赵工", "--phone", "13800000002"]);
    assert!(ok, "{err}");
    let person = person.trim().to_string();
    let grant = |extra: &[&str]| {
        let mut args = vec!["person", "grant", "--person", &person, "--project", "P1", "--role", "foreman"];
        args.extend_from_slice(extra);
        cli(dir, url, &args)
    };

    // The command line: an unknown site is refused before anything is stored.
    let (ok, _, err) = grant(&["--site", "S1", "--site", "S9"]);
    assert!(!ok && err.contains("sites") && err.contains("S9"), "{err}");
    assert_eq!(num(&f, &format!("SELECT count(*) FROM memberships WHERE person_id = '{person}'")), 0);
    let (ok, _, err) = grant(&["--site", "S1"]);
    assert!(ok, "{err}");
    assert_eq!(sites(&person), 1);
    let (ok, _, err) = grant(&["--all-sites"]);
    assert!(ok, "{err}");
    assert_eq!(sites(&person), 0, "every site: no list");

    // The people API: `sites` on a role change, checked.
    let (s, v) = f.call(
        &f.admin,
        "PUT",
        &format!("/v1/people/{person}/role"),
        Some(json!({"role": "supervisor", "sites": ["S2"]})),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("sites")), "{v}");
    assert_eq!(
        num(&f, &format!("SELECT count(*) FROM memberships WHERE person_id = '{person}' AND role = 'foreman'")),
        1
    );
    let (s, v) = f.call(
        &f.admin,
        "PUT",
        &format!("/v1/people/{person}/role"),
        Some(json!({"role": "foreman", "sites": ["S1"]})),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sites"], json!(["S1"]));
    assert_eq!(sites(&person), 1);
    // A new person with an unknown site: refused, nobody added.
    let people = num(&f, "SELECT count(*) FROM people");
    let (s, v) = f.call(
        &f.admin,
        "POST",
        "/v1/people",
        Some(json!({"name": "钱工", "phone": "13800000003", "role": "foreman", "sites": ["nowhere"]})),
    );
    assert_eq!((s, v["field"].as_str()), (400, Some("sites")), "{v}");
    assert_eq!(num(&f, "SELECT count(*) FROM people"), people);

    // The project's window settings: out of range refused (naming the field and the limit).
    let window = || num(&f, "SELECT scope_window_days FROM projects WHERE id = 'P1'");
    assert_eq!(window(), 14);
    for bad in [json!(0), json!(400), json!("x"), json!(1.5)] {
        let (s, v) = f.call(&f.admin, "PUT", "/v1/reference/project", Some(json!({"scope_window_days": bad})));
        assert_eq!((s, v["field"].as_str()), (400, Some("scope_window_days")), "{bad}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| m.contains("366")), "{v}");
    }
    let (s, v) =
        f.call(&f.admin, "PUT", "/v1/reference/project", Some(json!({"scope_own_days": 4000, "name": "改名"})));
    assert_eq!((s, v["field"].as_str()), (400, Some("scope_own_days")), "{v}");
    assert_eq!(num(&f, "SELECT count(*) FROM projects WHERE name = '改名'"), 0, "nothing of a refused edit");
    assert_eq!(window(), 14);
    let (s, v) =
        f.call(&f.admin, "PUT", "/v1/reference/project", Some(json!({"scope_window_days": 30, "scope_own_days": 90})));
    assert_eq!(s, 200, "{v}");
    assert_eq!((window(), num(&f, "SELECT scope_own_days FROM projects WHERE id = 'P1'")), (30, 90));
    let (s, v) = f.call(&f.admin, "PUT", "/v1/reference/project", Some(json!({"scope_own_days": null})));
    assert_eq!(s, 200, "{v}");
    assert_eq!(num(&f, "SELECT count(*) FROM projects WHERE id = 'P1' AND scope_own_days IS NULL"), 1);
    // A supervisor may not.
    let (s, _) = f.call(&f.sup, "PUT", "/v1/reference/project", Some(json!({"scope_window_days": 7})));
    assert_eq!(s, 403);
    assert_eq!(window(), 30);

    // A full-scope device.
    let (ok, _, err) =
        cli(dir, url, &["token", "create", "--project", "P1", "--role", "foreman", "--name", "backup", "--full-scope"]);
    assert!(ok, "{err}");
    assert_eq!(num(&f, "SELECT count(*) FROM devices WHERE name = 'backup' AND scope_full = 1"), 1);
    assert_eq!(num(&f, "SELECT count(*) FROM devices WHERE scope_full = 1"), 1);
}

#[test]
fn a_device_with_a_person_owns_as_the_person_on_sqlite() {
    person_owner(None);
}

#[test]
fn a_device_with_a_person_owns_as_the_person_on_postgresql() {
    let pg = ThrowawayPg::create();
    person_owner(Some(&pg.url()));
}

/// A device paired to a person: what it first stores is the person's (`p:<person>`).
fn person_owner(url: Option<&str>) {
    let f = setup(url);
    let dir = f.dir.path();
    let (ok, person, err) = cli(dir, url, &["person", "add", "--name", "孙工", "--phone", "13800000004"]);
    assert!(ok, "{err}");
    let person = person.trim().to_string();
    let (ok, token, err) = cli(dir, url, &["token", "create", "--project", "P1", "--role", "foreman", "--name", "sun"]);
    assert!(ok, "{err}");
    exec(dir, url, vec![format!("UPDATE devices SET person_id = '{person}' WHERE name = 'sun'")]);
    let mut phone = SimPhone::new(token.trim().to_string());
    phone.docs.insert(SHEET.into(), records::expense_doc(&records::expense(SHEET, "P1")));
    assert!(phone.sync(&f.server.addr).errors.is_empty());
    assert_eq!(
        num(&f, &format!("SELECT count(*) FROM documents WHERE id = '{SHEET}' AND scope_owner = 'p:{person}'")),
        1
    );
}

#[test]
fn an_upgraded_database_has_its_facts_on_sqlite() {
    upgrade(None);
}

#[test]
fn an_upgraded_database_has_its_facts_on_postgresql() {
    let pg = ThrowawayPg::create();
    upgrade(Some(&pg.url()));
}

/// A database of schema 25 with indexed records (an approved expense, a pending one, a voided one,
/// one in conflict, a closed and an assigned observation, an approval companion): after migration
/// 0026 each record and its companion carry the index's facts, the owner unknown (NULL), and no
/// document took a new change number from the backfill.
fn upgrade(url: Option<&str>) {
    use server::db::Db;
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let old = Db::connect_until(url, dir.path(), 25).await.expect("schema 25");
        let docs = [
            ("e-ok", "expense"),
            ("e-pending", "expense"),
            ("e-void", "expense"),
            ("e-conflict", "expense"),
            ("o-closed", "observation"),
            ("o-assigned", "observation"),
            ("approval:e-ok", "approval"),
            ("approval:e-pending", "approval"),
            ("reference:P1", "reference_data"),
        ];
        let mut statements: Vec<String> = docs
            .iter()
            .map(|(id, kind)| {
                format!(
                    "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) \
                     VALUES ('{id}', 'P1', '{kind}', X'00', 1, 1)"
                )
            })
            .collect();
        if url.is_some() {
            for s in &mut statements {
                *s = s.replace("X'00'", "'\\x00'::bytea");
            }
        }
        // (record, kind, site, date, heads, conflicts, voided)
        let index = [
            ("e-ok", "expense", "S1", "2026-11-01", "h1", 0, 0),
            ("e-pending", "expense", "S2", "2026-11-02", "h3", 0, 0),
            ("e-void", "expense", "S1", "2026-11-03", "h1", 0, 1),
            ("e-conflict", "expense", "S1", "2026-11-04", "h1", 2, 0),
            ("o-closed", "observation", "S1", "2026-11-05", "h1", 0, 0),
            ("o-assigned", "observation", "S2", "2026-11-06", "h1", 0, 0),
        ];
        for (id, kind, site, date, heads, conflicts, voided) in index {
            statements.push(format!(
                "INSERT INTO record_index (record_id, project_id, kind, site_id, author, record_date, heads, doc_version, \
                 conflict_count, voided, indexed_at_ms) VALUES ('{id}', 'P1', '{kind}', '{site}', 'li', '{date}', \
                 '{heads}', 1, {conflicts}, {voided}, 1)"
            ));
        }
        // e-ok approved at its heads; e-pending approved at older heads (h2, it is now at h3);
        // e-conflict approved at its heads (but in conflict).
        for (n, (id, heads)) in [("e-ok", "h1"), ("e-pending", "h2"), ("e-conflict", "h1")].iter().enumerate() {
            statements.push(format!(
                "INSERT INTO approval_decisions (id, record_id, project_id, record_seq, record_kind, status, heads, \
                 comment, decided_by, decided_by_name, decided_by_role, decided_at_ms) VALUES ('d{n}', '{id}', 'P1', 1, \
                 'expense', 'approved', '{heads}', '', 'dev', 'sup', 'supervisor', 1)"
            ));
        }
        for (id, status) in [("o-closed", "closed"), ("o-assigned", "assigned")] {
            statements.push(format!(
                "INSERT INTO observations (record_id, project_id, site_id, obs_date, category, severity, title, author, \
                 doc_version, status, created_at_ms, updated_at_ms) VALUES ('{id}', 'P1', 'S1', '2026-11-05', 'safety', \
                 'high', 't', 'li', 1, '{status}', 1, 1)"
            ));
        }
        for s in statements {
            on_pool!(&old, |p| sqlx::query(sqlx::AssertSqlSafe(s.clone())).execute(p).await.map(drop).expect(&s));
        }
        let seqs_before: i64 =
            on_pool!(&old, |p| sqlx::query_scalar("SELECT CAST(SUM(change_seq) AS BIGINT) FROM documents").fetch_one(p).await.expect("seqs"));
        on_pool!(&old, |p| p.close().await);

        let db = Db::connect(url, dir.path()).await.expect("migrated");
        type Facts = (String, Option<String>, Option<String>, i64, Option<String>);
        let rows: Vec<Facts> = on_pool!(&db, |p| sqlx::query_as(
            "SELECT id, scope_site, scope_date, scope_open, scope_owner FROM documents ORDER BY id"
        )
        .fetch_all(p)
        .await
        .expect("facts"));
        let got: Vec<(String, Option<String>, Option<String>, i64)> =
            rows.iter().map(|(id, s, d, o, _)| (id.clone(), s.clone(), d.clone(), *o)).collect();
        let some = |s: &str| Some(s.to_string());
        let want = vec![
            ("approval:e-ok".to_string(), some("S1"), some("2026-11-01"), 0),
            ("approval:e-pending".to_string(), some("S2"), some("2026-11-02"), 1),
            ("e-conflict".to_string(), some("S1"), some("2026-11-04"), 1),
            ("e-ok".to_string(), some("S1"), some("2026-11-01"), 0),
            ("e-pending".to_string(), some("S2"), some("2026-11-02"), 1),
            ("e-void".to_string(), some("S1"), some("2026-11-03"), 0),
            ("o-assigned".to_string(), some("S2"), some("2026-11-06"), 1),
            ("o-closed".to_string(), some("S1"), some("2026-11-05"), 0),
            ("reference:P1".to_string(), None, None, 1),
        ];
        assert_eq!(got, want);
        assert!(rows.iter().all(|r| r.4.is_none()), "no owner is known for older documents");
        let seqs_after: i64 =
            on_pool!(&db, |p| sqlx::query_scalar("SELECT CAST(SUM(change_seq) AS BIGINT) FROM documents").fetch_one(p).await.expect("seqs"));
        assert_eq!(seqs_after, seqs_before, "the backfill lists nothing again");
        // The new column exists and is empty.
        let assigned: i64 = on_pool!(&db, |p| sqlx::query_scalar(
            "SELECT count(*) FROM observations WHERE assignee_person IS NOT NULL"
        )
        .fetch_one(p)
        .await
        .expect("column"));
        assert_eq!(assigned, 0);
    });
}
