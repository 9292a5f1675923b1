//! Sync scopes through the real server (issue 25, docs/sync-scopes.md), SQLite and PostgreSQL: a
//! request with `scope_fp` is offered its device's scope (`record_schema::scope::decide` on the
//! facts of each document's row), a request without is offered the whole project as before; a
//! scope change lists the new scope without re-sending what the device holds; `dropped`, `fetch`
//! and a manifest reconcile behave as docs/sync-scopes.md §3-§5 say.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use automerge::sync::State;
use chrono::{Days, NaiveDate};
use common::phone::{APP, SimPhone};
use common::records;
use common::*;
use record_schema::RecordKind;
use record_schema::scope::{self, DocFacts, Holder, OpenReach, RecordFacts, ScopeParams, Sites};
use record_schema::sync_client::{Next, SyncDriver};
use record_schema::wire::{Fetch, Fetched, SyncResponse, WireScope};

/// A phone that applies scopes, following the real client's rules (`SyncDriver`) and adding the
/// scope fields to each request as the phone library does: `scope_fp` (the last `scope` received,
/// empty before), `dropped` and `fetch` on the first request of a sync.
#[derive(Clone)]
struct ScopedPhone {
    token: String,
    docs: BTreeMap<String, AutoCommit>,
    states: BTreeMap<String, Vec<u8>>,
    fp: Vec<u8>,
    dropped: Vec<String>,
}

/// What one sync of a `ScopedPhone` saw.
#[derive(Debug, Default)]
struct Seen {
    rounds: usize,
    need_manifest: bool,
    /// Ids of the documents the server's answers carried, in order.
    offered: Vec<String>,
    as_of: Option<String>,
    scope: Option<WireScope>,
    fetched: Vec<Fetched>,
    own: Vec<String>,
}

impl ScopedPhone {
    fn new(token: &str) -> Self {
        ScopedPhone {
            token: token.into(),
            docs: BTreeMap::new(),
            states: BTreeMap::new(),
            fp: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// One sync; a non-200 answer is returned as (status, body).
    fn try_sync(&mut self, addr: &str, fetch: Vec<Fetch>) -> Result<Seen, (u16, String)> {
        let states = self.states.iter().filter_map(|(id, b)| State::decode(b).ok().map(|s| (id.clone(), s))).collect();
        let mut sync = SyncDriver::new(states);
        let mut seen = Seen::default();
        let mut first = Some((self.dropped.clone(), fetch));
        while !sync.settled() {
            for id in sync.candidates(self.docs.keys().cloned()) {
                let doc = self.docs.get_mut(&id);
                sync.offer(id, doc);
            }
            let docs = &self.docs;
            let mut req = match sync.request(|id| docs.contains_key(id)) {
                Next::Send(req) => req,
                Next::Done | Next::GiveUp => break,
            };
            req.scope_fp = Some(self.fp.clone());
            if let Some((dropped, fetch)) = first.take() {
                req.dropped = dropped;
                req.fetch = fetch;
            }
            let mut body = Vec::new();
            ciborium::into_writer(&req, &mut body).expect("encode");
            let bearer = format!("Bearer {}", self.token);
            let (status, resp) =
                post(addr, "/v1/sync", &[("Authorization", &bearer), ("Content-Type", "application/cbor"), APP], &body);
            if status != 200 {
                return Err((status, String::from_utf8_lossy(&resp).into_owned()));
            }
            seen.rounds += 1;
            let mut resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("decode response");
            // Any successful answer clears the dropped ids it answered.
            if !req.dropped.is_empty() {
                self.dropped.clear();
            }
            seen.need_manifest |= resp.need_manifest;
            seen.offered.extend(resp.docs.iter().map(|m| m.id.clone()));
            if let Some(s) = resp.scope.take() {
                self.fp = s.fp.clone();
                seen.scope = Some(s);
            }
            seen.as_of = resp.as_of.take().or(seen.as_of);
            seen.fetched.append(&mut resp.fetched);
            seen.own.append(&mut resp.own);
            let incoming = sync.receive(resp);
            assert!(incoming.errors.is_empty(), "{:?}", incoming.errors);
            for m in incoming.news {
                let doc = self.docs.entry(m.id.clone()).or_default();
                sync.apply(doc, &m).unwrap_or_else(|e| panic!("apply: {e:?}"));
            }
            self.states = sync
                .states()
                .iter()
                .filter(|(id, _)| self.docs.contains_key(*id))
                .map(|(id, s)| (id.clone(), s.encode()))
                .collect();
        }
        Ok(seen)
    }

    fn sync(&mut self, addr: &str) -> Seen {
        self.sync_fetching(addr, vec![])
    }

    fn sync_fetching(&mut self, addr: &str, fetch: Vec<Fetch>) -> Seen {
        self.try_sync(addr, fetch).unwrap_or_else(|(s, b)| panic!("sync answered {s}: {b}"))
    }

    /// Evicts `ids` as the phone library does: documents and states gone, ids queued as dropped.
    fn evict(&mut self, ids: &[&str]) {
        for id in ids {
            assert!(self.docs.remove(*id).is_some(), "{id} was held");
            self.states.remove(*id);
            self.dropped.push(id.to_string());
        }
    }

    fn held(&self) -> BTreeSet<String> {
        self.docs.keys().cloned().collect()
    }
}

/// One record of the project as the test made it, with the scope facts it set on its rows.
#[derive(Debug, Clone)]
struct Rec {
    id: String,
    site: &'static str,
    date: NaiveDate,
    owner: String,
    open: bool,
    approved: bool,
}

impl Rec {
    fn facts(&self) -> RecordFacts<'_> {
        RecordFacts {
            project: "P1",
            kind: RecordKind::Expense,
            site: self.site,
            date: self.date,
            owner: Holder::parse(&self.owner),
            open: self.open,
            assignee: None,
        }
    }
}

/// The documents `decide` puts in the scope of `params`: each record and its approval (if any).
fn expected(recs: &[Rec], params: &ScopeParams<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in recs {
        if scope::decide(&DocFacts::Record(r.facts()), params).in_scope() {
            out.insert(r.id.clone());
        }
        if r.approved && scope::decide(&DocFacts::Companion { record: Some(r.facts()) }, params).in_scope() {
            out.insert(format!("approval:{}", r.id));
        }
    }
    out
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn token_sha(token: &str) -> String {
    server::auth::token_sha256(token)
}

/// Sets the records' scope facts on their rows and their approvals' (as helper A's writers do; the
/// same values when they already have), so the test knows them whatever writes them.
fn set_facts(dir: &std::path::Path, url: Option<&str>, recs: &[Rec]) {
    let stmts = recs
        .iter()
        .map(|r| {
            format!(
                "UPDATE documents SET scope_site = '{}', scope_date = '{}', scope_owner = '{}', scope_open = {} \
                 WHERE id IN ('{id}', 'approval:{id}', 'follow_up:{id}')",
                r.site,
                r.date,
                r.owner,
                i64::from(r.open),
                id = r.id
            )
        })
        .collect();
    exec(dir, url, stmts);
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let writer = token(d, url, "P1");
    let sup = token_as(d, url, "P1", "supervisor");
    let (wang, li, plain) = (token(d, url, "P1"), token_as(d, url, "P1", "supervisor"), token(d, url, "P1"));
    let server = start_with(d, url);
    let addr = server.addr.as_str();
    // The project, two sites in Shanghai, two people: wang (a foreman on S1) and li (a supervisor
    // with no site list: every site). Their devices are paired to them.
    exec(
        d,
        url,
        vec![
            "INSERT INTO projects (id, name, currency, updated_at_ms) VALUES ('P1', 'P1', 'CNY', 1)".into(),
            "INSERT INTO sites (project_id, id, name, time_zone) VALUES ('P1', 'S1', 'S1', 'Asia/Shanghai'), \
             ('P1', 'S2', 'S2', 'Asia/Shanghai')"
                .into(),
            "INSERT INTO people (id, name, created_at_ms) VALUES ('wang', 'wang', 1), ('li', 'li', 1)".into(),
            format!(
                "UPDATE devices SET person_id = 'wang' WHERE id = (SELECT device_id FROM tokens WHERE token_sha256 = '{}')",
                token_sha(&wang)
            ),
            format!(
                "UPDATE devices SET person_id = 'li' WHERE id = (SELECT device_id FROM tokens WHERE token_sha256 = '{}')",
                token_sha(&li)
            ),
            "INSERT INTO membership_sites (person_id, project_id, site_id) VALUES ('wang', 'P1', 'S1')".into(),
        ],
    );
    let writer_device = device_of(d, url, &writer);
    let today = day(&records::site_today());

    // Records on both sites, 2 and 30 days old, written by another device; one of wang's own, old,
    // on S2; two approved (closed) with their approval documents.
    let mut recs = Vec::new();
    let mut w = SimPhone::new(writer.clone());
    for site in ["S1", "S2"] {
        for age in [2u64, 30] {
            for n in 0..2 {
                let id = format!("e-{site}-{age}-{n}");
                let date = today.checked_sub_days(Days::new(age)).expect("date");
                recs.push(Rec { id, site, date, owner: format!("d:{writer_device}"), open: true, approved: false });
            }
        }
    }
    let own_date = today.checked_sub_days(Days::new(40)).expect("date");
    recs.push(Rec {
        id: "e-wang".into(),
        site: "S2",
        date: own_date,
        owner: "p:wang".into(),
        open: false,
        approved: false,
    });
    for r in &recs {
        let mut e = records::expense_costing(&r.id, "P1", 1_000);
        e.header.site_id = r.site.into();
        e.date = r.date;
        w.docs.insert(r.id.clone(), records::expense_doc(&e));
    }
    assert!(w.sync(addr).errors.is_empty());
    for id in ["e-S1-30-0", "e-S2-2-0"] {
        api::approve_current(addr, &sup, id);
        let r = recs.iter_mut().find(|r| r.id == id).expect("rec");
        (r.approved, r.open) = (true, false);
    }
    set_facts(d, url, &recs);

    // A new scoped phone of wang gets exactly decide's set, with its scope and the project's day.
    let mut a = ScopedPhone::new(&wang);
    let first = a.sync(addr);
    let as_of = first.as_of.clone().expect("as_of");
    assert_eq!(as_of, today.to_string(), "the project's day in its first site's zone");
    let wire = first.scope.clone().expect("the scope, sent to a phone with none");
    let s1 = vec!["S1".to_string()];
    let wang_params = ScopeParams {
        project: "P1",
        holder: Holder::Person("wang"),
        sites: Sites::Only(&s1),
        today: day(&as_of),
        window_days: 14,
        own_days: None,
        open_reach: OpenReach::Own,
        full: false,
    };
    assert_eq!(wire.fp, wang_params.fingerprint().to_vec());
    assert_eq!(
        (wire.holder.as_str(), wire.sites.as_deref(), wire.open_reach.as_str()),
        ("p:wang", Some(&s1[..]), "own")
    );
    let want = expected(&recs, &wang_params);
    assert_eq!(a.held(), want, "wang's phone holds its scope");
    assert!(want.contains("e-wang") && want.contains("e-S1-2-0") && !want.contains("e-S1-30-1"), "{want:?}");
    assert_eq!(first.own, vec!["e-wang".to_string()], "own: the holder's records");
    // Its next sync is quiet, and the scope is not sent again.
    let idle = a.sync(addr);
    assert!(idle.offered.is_empty() && !idle.need_manifest && idle.scope.is_none(), "{idle:?}");
    assert_eq!(idle.as_of.as_deref(), Some(as_of.as_str()));

    // li, a supervisor on every site: the window of both sites and every open record.
    let mut b = ScopedPhone::new(&li);
    let seen = b.sync(addr);
    let li_params =
        ScopeParams { holder: Holder::Person("li"), sites: Sites::All, open_reach: OpenReach::Sites, ..wang_params };
    assert_eq!(seen.scope.expect("scope").fp, li_params.fingerprint().to_vec());
    assert_eq!(b.held(), expected(&recs, &li_params));
    assert!(b.held().contains("e-S2-30-0") && !b.held().contains("e-S1-30-0"), "open old ones, not closed");

    // A request without scope_fp is served the whole project, as before scopes.
    let mut c = SimPhone::new(plain.clone());
    let t = c.sync(addr);
    assert!(t.errors.is_empty());
    let all: BTreeSet<String> = recs
        .iter()
        .flat_map(|r| {
            let mut v = vec![r.id.clone()];
            if r.approved {
                v.push(format!("approval:{}", r.id));
            }
            v
        })
        .collect();
    assert_eq!(c.docs.keys().cloned().collect::<BTreeSet<_>>(), all);

    // A scope change (S2 added to wang's sites): the scope is sent again, the cursor starts over,
    // and only what S2's window adds comes, nothing held again.
    exec(
        d,
        url,
        vec!["INSERT INTO membership_sites (person_id, project_id, site_id) VALUES ('wang', 'P1', 'S2')".into()],
    );
    let before = a.held();
    let seen = a.sync(addr);
    let both = vec!["S1".to_string(), "S2".to_string()];
    let wider = ScopeParams { sites: Sites::Only(&both), ..wang_params };
    assert_eq!(seen.scope.expect("new scope").fp, wider.fingerprint().to_vec());
    let want = expected(&recs, &wider);
    assert_eq!(a.held(), want);
    let added: BTreeSet<String> = want.difference(&before).cloned().collect();
    assert_eq!(seen.offered.iter().cloned().collect::<BTreeSet<_>>(), added, "only the new site's window came");
    assert_eq!(seen.offered.len(), added.len(), "each once");
    assert!(!seen.need_manifest);
    let cursor_at_newest = "SELECT count(*) FROM devices d JOIN project_change_seq p ON p.project_id = 'P1' \
                            WHERE d.sync_cursor = p.seq AND d.person_id = 'wang'";
    assert_eq!(count(d, url, cursor_at_newest), 1, "the cursor is at the project's newest number");

    // dropped: the phone evicts two documents; the server forgets their states, the manifests
    // agree (no need_manifest), they are not offered again, and the same dropped again is harmless.
    let states_of_wang = "SELECT count(*) FROM sync_states s JOIN devices d ON d.id = s.device_id \
                          WHERE d.person_id = 'wang' AND s.doc_id IN ('e-S2-2-0', 'approval:e-S2-2-0')";
    assert_eq!(count(d, url, states_of_wang), 2);
    let before_drop = a.clone();
    a.evict(&["e-S2-2-0", "approval:e-S2-2-0"]);
    let seen = a.sync(addr);
    assert!(!seen.need_manifest && seen.offered.is_empty(), "{seen:?}");
    assert_eq!(count(d, url, states_of_wang), 0);
    assert!(a.dropped.is_empty(), "answered");
    let idle = a.sync(addr);
    assert!(!idle.need_manifest && idle.offered.is_empty(), "{idle:?}");
    // The answer was lost: the phone sends the same dropped again, with the same digest.
    let mut retry = before_drop.clone();
    retry.evict(&["e-S2-2-0", "approval:e-S2-2-0"]);
    let seen = retry.sync(addr);
    assert!(!seen.need_manifest && seen.offered.is_empty(), "a retried dropped is harmless: {seen:?}");
    a = retry;

    // fetch: a record out of the scope with its approval, and a site's days.
    let out_of_scope = "e-S1-30-0";
    assert!(!a.held().contains(out_of_scope));
    let seen = a.sync_fetching(addr, vec![Fetch::Record { id: out_of_scope.into() }]);
    assert_eq!(seen.fetched, vec![Fetched { i: 0, ids: vec![out_of_scope.into()], more: false }]);
    let got: BTreeSet<String> = seen.offered.iter().cloned().collect();
    assert_eq!(got, BTreeSet::from([out_of_scope.to_string(), format!("approval:{out_of_scope}")]));
    assert!(a.held().contains(out_of_scope) && a.held().contains(&format!("approval:{out_of_scope}")));
    let old = today.checked_sub_days(Days::new(30)).expect("date").to_string();
    let seen = a.sync_fetching(addr, vec![Fetch::Days { site: "S1".into(), from: old.clone(), to: old.clone() }]);
    assert_eq!(seen.fetched[0].ids, vec!["e-S1-30-0".to_string(), "e-S1-30-1".to_string()], "both records found");
    assert_eq!(seen.offered, vec!["e-S1-30-1".to_string()], "the one not held came, the held one did not again");
    let idle = a.sync(addr);
    assert!(!idle.need_manifest && idle.offered.is_empty(), "{idle:?}");

    // Bad fetch inputs: 400 naming the field.
    let bad = |fetch: Vec<Fetch>| {
        let (status, body) = a.clone().try_sync(addr, fetch).expect_err("refused");
        assert_eq!(status, 400, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["field"].as_str().expect("field").to_string()
    };
    let days = |from: &str, to: &str| Fetch::Days { site: "S1".into(), from: from.into(), to: to.into() };
    assert_eq!(bad(vec![Fetch::Record { id: "e-wang".into() }; 5]), "fetch");
    assert_eq!(bad(vec![days("2026-13-01", "2026-12-01")]), "fetch[0].from");
    assert_eq!(bad(vec![Fetch::Record { id: "e-wang".into() }, days("2026-11-01", "2026-12-02")]), "fetch[1].to");
    assert_eq!(bad(vec![days("2026-12-02", "2026-12-01")]), "fetch[0].to");
    assert_eq!(bad(vec![Fetch::Record { id: "nope".into() }]), "fetch[0].id");
    assert_eq!(bad(vec![Fetch::Record { id: "approval:e-wang".into() }]), "fetch[0].id");

    // A manifest reconcile re-offers what is in scope, not what left it: the phone loses an
    // in-scope record and a fetched (out-of-scope) one without saying so.
    let mut lost = a.clone();
    for id in ["e-S1-2-1", "e-S1-30-1"] {
        lost.docs.remove(id);
        lost.states.remove(id);
    }
    let seen = lost.sync(addr);
    assert!(seen.need_manifest, "{seen:?}");
    assert!(seen.offered.contains(&"e-S1-2-1".to_string()), "in scope: offered again: {seen:?}");
    assert!(!seen.offered.contains(&"e-S1-30-1".to_string()), "out of scope: not lost, not offered: {seen:?}");
    assert!(lost.held().contains("e-S1-2-1") && !lost.held().contains("e-S1-30-1"));
    let idle = lost.sync(addr);
    assert!(!idle.need_manifest && idle.offered.is_empty(), "agreed again: {idle:?}");

    // A lost answer of a scoped device: sent again in the next request, without the full manifest.
    w.set_expense_amount("e-S1-2-0", 2_000);
    assert!(w.sync(addr).errors.is_empty());
    let before = lost.clone();
    let seen = lost.sync(addr);
    assert_eq!(seen.offered, vec!["e-S1-2-0".to_string()]);
    lost = before;
    let seen = lost.sync(addr);
    assert!(!seen.need_manifest && seen.offered == vec!["e-S1-2-0".to_string()], "{seen:?}");
    let idle = lost.sync(addr);
    assert!(!idle.need_manifest && idle.offered.is_empty(), "{idle:?}");

    // The phone no longer applies scopes (an old app): served the whole project again.
    let mut old_app = SimPhone::new(wang.clone());
    old_app.docs = lost.docs.clone();
    old_app.states = lost.states.clone();
    let t = old_app.sync(addr);
    assert!(t.errors.is_empty() && !t.manifest_asked, "{t:?}");
    assert_eq!(old_app.docs.keys().cloned().collect::<BTreeSet<_>>(), all);
}

/// The device id of `token` (the tokens table stores its SHA-256).
fn device_of(dir: &std::path::Path, url: Option<&str>, token: &str) -> String {
    let sql = format!("SELECT device_id FROM tokens WHERE token_sha256 = '{}'", token_sha(token));
    let (url, db) = (url.map(str::to_string), dir.join("server.db"));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            match url {
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(&url).await.expect("pg");
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("id")
                }
                None => {
                    let mut c =
                        sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.expect("sqlite");
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("id")
                }
            }
        })
    })
    .join()
    .expect("thread")
}

#[test]
fn a_scoped_device_is_offered_its_scope_on_sqlite() {
    story(None);
}

#[test]
fn a_scoped_device_is_offered_its_scope_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}
