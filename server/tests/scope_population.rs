//! Sync scopes as a property over random populations (issue 25's "Tests": "a device holds exactly
//! its scope after sync, and nothing it holds unsynced is ever evicted"), through the real server
//! binary with real phones (`mobile_core::ffi::FieldStore`), on SQLite and PostgreSQL.
//!
//! Each case (a seeded RNG, so a failure names its seed and replays with `SCOPE_POPULATION_SEED`):
//! a project with 2–3 sites, 3–4 people (one site, two, all, and a supervisor), each with a paired
//! phone, and a phone with a plain token; a population of labour sheets, expenses and observations
//! by random authors on random sites and dates (up to 60 days back), some approved (some edited
//! after), some rejected, observations assigned to a member or closed. Then the project's window
//! parameters change to random values and every phone syncs: each must hold exactly the documents
//! `record_schema::scope::decide` puts in its holder's scope, computed here from the population's
//! facts as the test made them (never read from the server's tables); so must a new phone of each
//! person. (That nothing unsynced is evicted is tested where the plan is, in
//! `mobile-core/tests/scope_eviction.rs`: through `FieldStore` the plan runs only after a quiet round,
//! so an edit made during a sync is always sent first.)

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{Days, NaiveDate, Utc};
use common::api::{decide_current, import_reference, json_call};
use common::records::workbook;
use common::*;
use fieldledger_tests::phone_core::{open_phone, sheet_at, sync_paired};
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;
use record_schema::RecordKind;
use record_schema::scope::{self, DocFacts, Holder, OpenReach, RecordFacts, ScopeParams, Sites};
use serde_json::json;

/// splitmix64: a small deterministic generator (the case is replayed from its seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `pct` times in a hundred.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SITE_IDS: [&str; 3] = ["S1", "S2", "S3"];
const WRITER: &str = "d:writer";

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).expect("date")
}

/// A person of the case with their paired phone (the plain token's phone has no person).
struct Member {
    id: String,
    name: String,
    /// `membership_sites`; empty: every site.
    sites: Vec<String>,
    supervisor: bool,
    phone: Arc<FieldStore>,
    /// The phone's file name in the case's folder.
    file: String,
}

impl Member {
    fn key(&self) -> String {
        format!("p:{}", self.id)
    }
}

/// One record as the test made it: the rule's facts and which companions the server has made.
#[derive(Debug, Clone)]
struct Rec {
    id: String,
    kind: RecordKind,
    site: String,
    date: NaiveDate,
    /// `Holder::key` of the author's device (`p:<person>`, or `WRITER`).
    owner: String,
    /// None: never decided; Some(true): approved at its current heads; Some(false): rejected, or
    /// changed since its approval.
    approved: Option<bool>,
    /// An observation's follow-up: (assignee person, closed), once the office acted on it.
    follow_up: Option<(Option<String>, bool)>,
}

impl Rec {
    fn open(&self) -> bool {
        match self.kind {
            RecordKind::Observation => !self.follow_up.as_ref().is_some_and(|(_, closed)| *closed),
            _ => self.approved != Some(true),
        }
    }

    fn facts(&self) -> RecordFacts<'_> {
        RecordFacts {
            project: "P1",
            kind: self.kind,
            site: &self.site,
            date: self.date,
            owner: Holder::parse(&self.owner),
            open: self.open(),
            assignee: self.follow_up.as_ref().and_then(|(a, _)| a.as_deref()),
        }
    }

    /// The record's documents: itself and the companions the server made.
    fn docs(&self) -> Vec<String> {
        let mut v = vec![self.id.clone()];
        if self.approved.is_some() {
            v.push(format!("approval:{}", self.id));
        }
        if self.follow_up.is_some() {
            v.push(format!("follow_up:{}", self.id));
        }
        v
    }
}

/// The project's scope settings.
#[derive(Debug, Clone, Copy)]
struct Window {
    days: u32,
    own: Option<u32>,
}

/// The documents `decide` puts in the scope of `holder` (a holder key) with `sites` (empty: all).
fn expected(recs: &[Rec], holder: &str, sites: &[String], reach: OpenReach, w: Window) -> BTreeSet<String> {
    let params = ScopeParams {
        project: "P1",
        holder: Holder::parse(holder).expect("holder key"),
        sites: if sites.is_empty() { Sites::All } else { Sites::Only(sites) },
        today: today(),
        window_days: w.days,
        own_days: w.own,
        open_reach: reach,
        full: false,
    };
    let mut out = BTreeSet::from(["reference:P1".to_string()]);
    assert!(scope::decide(&DocFacts::Reference { project: "P1" }, &params).in_scope());
    for r in recs {
        if scope::decide(&DocFacts::Record(r.facts()), &params).in_scope() {
            out.extend(r.docs());
        }
    }
    out
}

/// Reads a phone store's tables (its file, read-only) from a thread of its own.
fn phone_query(path: &Path, sql: &'static str) -> Vec<String> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            use sqlx::Connection;
            let url = format!("sqlite://{}?mode=ro", path.display());
            let mut c = sqlx::SqliteConnection::connect(&url).await.expect("phone store");
            sqlx::query_scalar::<_, String>(sql).fetch_all(&mut c).await.expect("phone query")
        })
    })
    .join()
    .expect("thread")
}

/// The ids of every document a phone holds.
fn held(dir: &Path, file: &str) -> BTreeSet<String> {
    phone_query(&dir.join(format!("{file}.db")), "SELECT id FROM documents").into_iter().collect()
}

/// The differences between what a phone holds and what it should, with the records' facts.
fn explain(recs: &[Rec], got: &BTreeSet<String>, want: &BTreeSet<String>) -> String {
    let mut out = String::new();
    for (what, ids) in [("held, not in scope", got.difference(want)), ("in scope, not held", want.difference(got))] {
        for id in ids {
            let rec = recs.iter().find(|r| r.id == scope::group_of(id));
            out.push_str(&format!("\n  {what}: {id} {rec:?}"));
        }
    }
    out
}

/// The case's server, people and phones.
struct Case {
    dir: tempfile::TempDir,
    server: Server,
    base: String,
    admin: String,
    sup: String,
    writer_token: String,
    writer: Arc<FieldStore>,
    sites: Vec<String>,
    members: Vec<Member>,
    rt: tokio::runtime::Runtime,
}

impl Case {
    fn call(&self, token: &str, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let (s, v) = json_call(&self.server.addr, token, method, path, Some(body));
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }

    fn set_window(&self, w: Window) {
        self.call(
            &self.admin,
            "PUT",
            "/v1/reference/project",
            json!({ "scope_window_days": w.days, "scope_own_days": w.own }),
        );
    }

    /// Pairs a new phone (file `file`) to person `person`.
    fn pair(&self, person: &str, file: &str) -> Arc<FieldStore> {
        let v = self.call(&self.admin, "POST", "/v1/pairing-codes", json!({ "person_id": person }));
        let code = v["code"].as_str().expect("code").to_string();
        let phone = open_phone(self.dir.path(), file);
        self.rt.block_on(phone.pair(self.base.clone(), code, format!("{file} phone"))).expect("pair");
        phone
    }

    fn sync_writer(&self) -> SyncReport {
        let r = self
            .rt
            .block_on(self.writer.sync(self.base.clone(), self.writer_token.clone(), None, None))
            .expect("writer syncs");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        r
    }

    /// The author's phone of `owner` (a holder key).
    fn phone_of(&self, owner: &str) -> &FieldStore {
        if owner == WRITER {
            return &self.writer;
        }
        &self.members.iter().find(|m| m.key() == owner).expect("member").phone
    }

    /// Syncs the author's phone of `owner`.
    fn sync_of(&self, owner: &str) {
        if owner == WRITER {
            self.sync_writer();
        } else {
            sync_paired(&self.rt, self.phone_of(owner));
        }
    }
}

/// The project (P1 with `n_sites` sites in Shanghai) on a new server, and the plain token's phone;
/// every phone holds everything of its sites for now (366 days, all own).
fn start_case(url: Option<&str>, n_sites: usize) -> Case {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let admin = token_as(d, url, "P1", "admin");
    let sup = token_as(d, url, "P1", "supervisor");
    let writer_token = token(d, url, "P1");
    let server = start_with(d, url);
    let base = format!("http://{}", server.addr);
    let sites: Vec<String> = SITE_IDS[..n_sites].iter().map(|s| s.to_string()).collect();
    let mut site_rows: Vec<[&str; 3]> = vec![["id", "name", "time_zone"]];
    for s in &sites {
        site_rows.push([s.as_str(), s.as_str(), "Asia/Shanghai"]);
    }
    let site_rows: Vec<&[&str]> = site_rows.iter().map(|r| &r[..]).collect();
    let book = workbook(&[
        ("project", &[&["name", "currency"], &["一号楼", "CNY"]]),
        ("sites", &site_rows),
        ("cost_codes", &[&["code", "name", "parent", "budget"], &["03", "混凝土工程", "", "0"]]),
    ]);
    import_reference(&server.addr, &admin, &book);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let writer = open_phone(d, "writer");
    let case = Case { dir, server, base, admin, sup, writer_token, writer, sites, members: Vec::new(), rt };
    // The final settings of a case always differ from these, so each phone's plan runs after the
    // sync that brings them.
    case.set_window(Window { days: 366, own: None });
    case
}

impl Case {
    /// A new person on the project with `sites` (empty: all) and a paired phone (`p<i>`).
    fn add_member(&mut self, i: usize, sites: Vec<String>, supervisor: bool) {
        let name = format!("工{i}");
        let role = if supervisor { "supervisor" } else { "foreman" };
        let v = self.call(
            &self.admin,
            "POST",
            "/v1/people",
            json!({ "name": name, "phone": format!("1380000000{i}"), "role": role, "sites": sites }),
        );
        let id = v["person"]["id"].as_str().unwrap_or_else(|| panic!("person id in {v}")).to_string();
        let file = format!("p{i}");
        let phone = self.pair(&id, &file);
        sync_paired(&self.rt, &phone);
        self.members.push(Member { id, name, sites, supervisor, phone, file });
    }
}

/// A random case: 2–3 sites; 3–4 people: one site, two sites, (with four) every site, and a
/// supervisor on one site or all.
fn set_up(url: Option<&str>, rng: &mut Rng) -> Case {
    let mut case = start_case(url, 2 + rng.below(2));
    let n_people = 3 + rng.below(2);
    for i in 0..n_people {
        let supervisor = i == n_people - 1;
        let mut shuffled = case.sites.clone();
        for k in (1..shuffled.len()).rev() {
            shuffled.swap(k, rng.below(k + 1));
        }
        let sites: Vec<String> = match (i, supervisor) {
            (_, true) if rng.chance(50) => Vec::new(),
            (_, true) | (0, _) => shuffled[..1].to_vec(),
            (1, _) => shuffled[..2].to_vec(),
            _ => Vec::new(),
        };
        case.add_member(i, sites, supervisor);
    }
    case.sync_writer();
    case
}

fn expense_input(date: NaiveDate, note: Option<&str>) -> ExpenseInput {
    ExpenseInput {
        date: date.to_string(),
        amount: "12.50".into(),
        currency: None,
        category: mobile_core::ffi::expense_categories().first().cloned().expect("a default category"),
        vendor: None,
        cost_code: "03".into(),
        note: note.map(str::to_string),
    }
}

fn observation_input(date: NaiveDate, title: &str) -> ObservationInput {
    ObservationInput {
        date: date.to_string(),
        category: ObservationCategory::Safety,
        severity: Severity::Medium,
        title: title.into(),
        description: None,
        place: None,
        gps: None,
        activity: None,
    }
}

/// A new record of `kind` on `phone`, at `site` on `date`; its id.
fn create(phone: &FieldStore, kind: RecordKind, site: &str, date: NaiveDate) -> String {
    let place = RecordPlace { project_id: "P1".into(), site_id: site.into(), time_zone: Some("Asia/Shanghai".into()) };
    match kind {
        RecordKind::LabourSheet => phone.create_labour_sheet(sheet_at(site, &date.to_string())).expect("sheet").info.id,
        RecordKind::Expense => phone.create_expense(place, expense_input(date, None)).expect("expense").info.id,
        _ => phone.create_observation(place, observation_input(date, "临边防护")).expect("observation").info.id,
    }
}

/// Changes a record on `phone` (a note, or an observation's title).
fn edit(phone: &FieldStore, r: &Rec, note: &str) {
    match r.kind {
        RecordKind::LabourSheet => {
            phone.update_labour_sheet(r.id.clone(), r.date.to_string(), Some(note.into())).expect("edit sheet");
        }
        RecordKind::Expense => {
            phone.update_expense(r.id.clone(), expense_input(r.date, Some(note))).expect("edit expense");
        }
        _ => {
            phone.update_observation(r.id.clone(), observation_input(r.date, note)).expect("edit observation");
        }
    }
}

/// The population: records by random authors on random sites and days, synced; then decisions,
/// edits after approval, assignments and closes, each reaching the server.
fn populate(case: &Case, rng: &mut Rng) -> Vec<Rec> {
    let mut authors: Vec<String> = case.members.iter().map(Member::key).collect();
    authors.push(WRITER.to_string());
    let kinds = [RecordKind::LabourSheet, RecordKind::Expense, RecordKind::Observation];
    let n = 18 + rng.below(10);
    let mut recs = Vec::with_capacity(n);
    for _ in 0..n {
        let owner = rng.pick(&authors).clone();
        let kind = *rng.pick(&kinds);
        let site = rng.pick(&case.sites).clone();
        let date = days_ago(rng.below(61) as u64);
        let id = create(case.phone_of(&owner), kind, &site, date);
        recs.push(Rec { id, kind, site, date, owner, approved: None, follow_up: None });
    }
    for a in &authors {
        case.sync_of(a);
    }
    let addr = &case.server.addr;
    let mut edited_after = BTreeSet::new();
    for r in &mut recs {
        if r.kind == RecordKind::Observation {
            if rng.chance(45) {
                let m = rng.pick(&case.members);
                case.call(
                    &case.sup,
                    "POST",
                    &format!("/v1/observations/{}/assign", r.id),
                    json!({ "assignee_person": m.id }),
                );
                r.follow_up = Some((Some(m.id.clone()), false));
            }
            if rng.chance(35) {
                case.call(
                    &case.sup,
                    "POST",
                    &format!("/v1/observations/{}/close", r.id),
                    json!({ "resolution": "好" }),
                );
                let assignee = r.follow_up.take().and_then(|(a, _)| a);
                r.follow_up = Some((assignee, true));
            }
        } else {
            match rng.below(5) {
                0 | 1 => {
                    decide_current(addr, &case.sup, &r.id, "approve", "ok");
                    r.approved = Some(true);
                    if rng.chance(25) {
                        edited_after.insert(r.owner.clone());
                        edit(case.phone_of(&r.owner), r, "改过");
                        r.approved = Some(false);
                    }
                }
                2 => {
                    decide_current(addr, &case.sup, &r.id, "reject", "wrong");
                    r.approved = Some(false);
                }
                _ => {}
            }
        }
    }
    for a in &edited_after {
        case.sync_of(a);
    }
    recs
}

/// Asserts that the phone in `file` holds exactly `want`.
fn assert_holds(case: &Case, who: &str, file: &str, recs: &[Rec], want: &BTreeSet<String>, seed: u64) {
    let got = held(case.dir.path(), file);
    assert!(
        got == *want,
        "seed {seed}: {who}'s phone ({file}) holds other than its scope:{}",
        explain(recs, &got, want)
    );
}

fn population(url: Option<&str>, seed: u64) {
    let mut rng = Rng(seed);
    let case = set_up(url, &mut rng);
    let recs = populate(&case, &mut rng);
    let window = Window { days: *rng.pick(&[1, 3, 7, 14, 30]), own: *rng.pick(&[None, Some(1), Some(10), Some(30)]) };
    case.set_window(window);
    let describe = |m: &Member| {
        format!(
            "{} ({}, sites {:?}; window {window:?})",
            m.name,
            if m.supervisor { "supervisor" } else { "foreman" },
            m.sites
        )
    };

    // Every phone that made the population: its scope after the sync that brought the settings
    // (the plan runs at its end), and still after the next (which sends the drops), then idle.
    for m in &case.members {
        let reach = if m.supervisor { OpenReach::Sites } else { OpenReach::Own };
        let want = expected(&recs, &m.key(), &m.sites, reach, window);
        sync_paired(&case.rt, &m.phone);
        assert_holds(&case, &describe(m), &m.file, &recs, &want, seed);
        sync_paired(&case.rt, &m.phone);
        assert_holds(&case, &describe(m), &m.file, &recs, &want, seed);
        let idle = sync_paired(&case.rt, &m.phone);
        assert_eq!((idle.rounds, idle.documents_received), (1, 0), "seed {seed}: {}: {idle:?}", describe(m));
    }
    let want = expected(&recs, WRITER, &[], OpenReach::Own, window);
    for _ in 0..2 {
        case.sync_writer();
        assert_holds(&case, "the plain token", "writer", &recs, &want, seed);
    }

    // A new phone of each person: the server's first listing is the rule.
    for (i, m) in case.members.iter().enumerate() {
        let file = format!("new{i}");
        let phone = case.pair(&m.id, &file);
        let reach = if m.supervisor { OpenReach::Sites } else { OpenReach::Own };
        let want = expected(&recs, &m.key(), &m.sites, reach, window);
        sync_paired(&case.rt, &phone);
        assert_holds(&case, &format!("new: {}", describe(m)), &file, &recs, &want, seed);
        let idle = sync_paired(&case.rt, &phone);
        assert_eq!((idle.rounds, idle.documents_received), (1, 0), "seed {seed}: new {}: {idle:?}", describe(m));
    }
}

/// The seeds of a run: `SCOPE_POPULATION_SEED` (one, to replay a failure), else `n` fixed ones.
fn seeds(n: u64, salt: u64) -> Vec<u64> {
    match std::env::var("SCOPE_POPULATION_SEED").ok().and_then(|s| s.trim().parse().ok()) {
        Some(seed) => vec![seed],
        None => (0..n).map(|i| 0x5c0e_0000 + salt * 100 + i).collect(),
    }
}

#[test]
fn phones_hold_their_scope_for_random_populations_on_sqlite() {
    for seed in seeds(3, 1) {
        population(None, seed);
    }
}

#[test]
fn phones_hold_their_scope_for_random_populations_on_postgresql() {
    for seed in seeds(3, 2) {
        let pg = ThrowawayPg::create();
        population(Some(&pg.url()), seed);
    }
}
