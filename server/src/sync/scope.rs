//! Sync scopes on the server (issue 25, docs/sync-scopes.md §3 and §5): a request that carries
//! `scope_fp` is served the documents of its device's scope (`record_schema::scope::decide` on the
//! facts stored on each document's row), not the whole project.
//!
//! - `Scope`: the device's `ScopeParams`, made from what the token's lookup read (`GrantScope`).
//! - `SyncSession::scoped_listing`: per listed document, held (a sync state) → offered when stale,
//!   whatever the scope; not held → `decide`: in → first offer, out → skipped; the cursor passes
//!   both. At cursor 0 (a new device, a changed scope, a reconcile) the listing is the indexed
//!   superset query of §3 (`superset`), not the project's history.
//! - `SyncSession::drop_states`: the phone's `dropped`, applied first thing.
//! - `validate_fetch` and `find_fetched`: the request's `fetch` (§5).

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use record_schema::RecordKind;
use record_schema::scope::{self, DocFacts, Holder, OpenReach, RecordFacts, ScopeParams, Sites};
use record_schema::wire::{Fetch, MAX_FETCH, MAX_FETCH_DAYS, MAX_FETCH_RECORDS, WireScope, xor_into};

use super::element;
use super::session::{ListingRow, SyncSession};
use crate::db::{Db, ListedFacts, SyncGrant, fact_columns, on_pool};
use crate::docstore::DocStoreError;
use crate::error::ApiError;

/// A device's scope for this request (`record_schema::scope::ScopeParams`, owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scope {
    pub project: String,
    pub device: String,
    pub person: Option<String>,
    /// None: every site (no person, or a person with no `membership_sites` row on the project).
    pub sites: Option<Vec<String>>,
    pub today: NaiveDate,
    pub window_days: u32,
    pub own_days: Option<u32>,
    pub open_reach: OpenReach,
    pub full: bool,
}

/// A stored day count as the rule's (a negative one holds nothing; a huge one everything).
fn days(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl Scope {
    /// The scope of the device `device` names (docs/sync-scopes.md §1, "Which devices").
    pub fn of(device: &SyncGrant) -> Scope {
        let g = &device.scope;
        let sites = (g.person_id.is_some() && !g.sites.is_empty()).then(|| g.sites.clone());
        Scope {
            project: device.grant.project_id.clone(),
            device: device.grant.device_id.clone(),
            person: g.person_id.clone(),
            sites,
            // The project's calendar day: its first site's time zone, the test clock honoured.
            today: crate::reports::today_in(g.time_zone.as_deref()),
            window_days: g.window_days.map_or(scope::DEFAULT_WINDOW_DAYS, days),
            own_days: g.own_days.map(days),
            // Supervisors and admins hold their sites' open records: their approval queue.
            open_reach: if device.grant.role.decides() { OpenReach::Sites } else { OpenReach::Own },
            full: g.full,
        }
    }

    pub fn holder(&self) -> Holder<'_> {
        match &self.person {
            Some(p) => Holder::Person(p),
            None => Holder::Device(&self.device),
        }
    }

    pub fn params(&self) -> ScopeParams<'_> {
        ScopeParams {
            project: &self.project,
            holder: self.holder(),
            sites: self.sites.as_deref().map_or(Sites::All, Sites::Only),
            today: self.today,
            window_days: self.window_days,
            own_days: self.own_days,
            open_reach: self.open_reach,
            full: self.full,
        }
    }

    pub fn fingerprint(&self) -> Vec<u8> {
        self.params().fingerprint().to_vec()
    }

    /// The parameters as the phone evaluates them (sent when its `scope_fp` is not ours).
    pub fn wire(&self) -> WireScope {
        WireScope {
            fp: self.fingerprint(),
            holder: self.holder().key(),
            sites: self.sites.clone(),
            window_days: self.window_days,
            own_days: self.own_days,
            open_reach: match self.open_reach {
                OpenReach::Own => "own",
                OpenReach::Sites => "sites",
            }
            .to_string(),
            full: self.full,
        }
    }

    /// `today` as the response's `as_of`.
    pub fn as_of(&self) -> String {
        self.today.format("%Y-%m-%d").to_string()
    }

    /// The first day of the site window (None: the window reaches before the calendar's start).
    fn window_start(&self) -> Option<NaiveDate> {
        let back = self.window_days.checked_sub(1)?;
        self.today.checked_sub_days(Days::new(u64::from(back)))
    }
}

/// The metric label of a document whose row lacks the rule's facts: counted in (docs/sync-scopes.md
/// §3: over-deliver, never lose).
const NO_FACTS: &str = "no_facts";
/// The metric label of a document offered because the request's `fetch` asked for it.
pub(super) const FETCHED: &str = "fetched";
/// The metric label of a document the phone listed in its full manifest with other heads than
/// the server's: offered afresh whatever the scope (the phone holds it).
const RECONCILED: &str = "reconciled";
/// The metric label of a companion (`approval:`, `follow_up:`) offered because the device holds its
/// record: the phone judges a record open or settled by its companions, so a record it holds out of
/// the rule's scope (its own, open when it arrived, closed since) must get the decision that closed
/// it, or it stays "open" on the phone and is never evicted.
const WITH_RECORD: &str = "with_record";

/// A strict `YYYY-MM-DD`.
fn parse_day(s: &str) -> Option<NaiveDate> {
    (s.len() == 10).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

/// Whether a document the device does not hold is in its scope: Some(why, as the metric's label)
/// or None (skipped). `id` is of the device's project (the listing reads no other).
pub(super) fn judge(id: &str, f: &ListedFacts, p: &ScopeParams<'_>) -> Option<&'static str> {
    let Ok(kind) = f.kind.parse::<RecordKind>() else { return Some(NO_FACTS) };
    if kind == RecordKind::ReferenceData {
        let project = id.strip_prefix("reference:").unwrap_or(id);
        let v = scope::decide(&DocFacts::Reference { project }, p);
        return v.in_scope().then_some(v.why.as_str());
    }
    let companion = scope::companion_of(id).is_some();
    // A companion's row carries its record's facts but not its kind; the kind only matters to the
    // rule for `assigned` (observations), and only an observation's rows carry an assignee.
    let record_kind = match kind {
        RecordKind::FollowUp => RecordKind::Observation,
        RecordKind::Approval if f.assignee.is_some() => RecordKind::Observation,
        RecordKind::Approval => RecordKind::LabourSheet,
        k => k,
    };
    let (Some(site), Some(date)) = (f.site.as_deref(), f.date.as_deref().and_then(parse_day)) else {
        return Some(NO_FACTS);
    };
    let facts = RecordFacts {
        project: p.project,
        kind: record_kind,
        site,
        date,
        owner: f.owner.as_deref().and_then(Holder::parse),
        open: f.open,
        assignee: f.assignee.as_deref(),
    };
    let doc = if companion { DocFacts::Companion { record: Some(facts) } } else { DocFacts::Record(facts) };
    let v = scope::decide(&doc, p);
    v.in_scope().then_some(v.why.as_str())
}

type Labels = [(&'static str, &'static str); 1];

/// `fieldledger_scope_offered_total{why}`: documents first offered to scoped devices, by the rule's
/// reason (`scope::Why::as_str`, `no_facts`, `fetched`, `reconciled`). No per-document log line.
fn offered_metric() -> &'static Family<Labels, Counter> {
    static OFFERED: OnceLock<Family<Labels, Counter>> = OnceLock::new();
    OFFERED.get_or_init(Family::default)
}

pub(super) fn count_offer(why: &'static str) {
    offered_metric().get_or_create(&[("why", why)]).inc();
}

/// Registers the scope's metrics (called by `crate::metrics`).
pub fn register_metrics(registry: &mut Registry) {
    registry.register(
        "scope_offered",
        "Documents first offered to scoped devices, by why they are in scope",
        offered_metric().clone(),
    );
}

/// A document a scoped listing offers.
pub(super) struct Offer {
    pub id: String,
    pub version: i64,
    /// Why a document the device did not hold is offered (the metric's label); None: held, stale.
    pub why: Option<&'static str>,
    /// Its owner is the device's holder (the response's `own`).
    pub own: bool,
}

/// What a scoped listing found.
pub(super) struct ScopedListing {
    /// Every listed document the device has not seen at its version, with that version (offered or
    /// skipped), for `SyncSession::known_version`.
    pub unseen: Vec<(String, i64)>,
    pub offers: Vec<Offer>,
}

/// The grant's listing (`SyncGrant::unseen`, `unseen_facts`, `listed_max_seq`), when it holds.
pub(super) type GrantListing = (Vec<(String, i64)>, Vec<ListedFacts>, i64);

/// Runs `sql` with text `args` (placeholders `$1…$n`, each once, in order) and reads listing rows.
async fn listing_rows(db: &Db, sql: String, args: &[String]) -> Result<Vec<ListingRow>, sqlx::Error> {
    Ok(on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for a in args {
            q = q.bind(a.as_str());
        }
        q.fetch_all(p).await?
    }))
}

/// The placeholder of a value pushed onto `args`.
fn push(args: &mut Vec<String>, value: &str) -> String {
    args.push(value.to_string());
    format!("${}", args.len())
}

/// Placeholders for `values`, pushed onto `args`.
fn push_list(args: &mut Vec<String>, values: &[String]) -> String {
    values.iter().map(|v| push(args, v)).collect::<Vec<_>>().join(", ")
}

/// The columns every listing statement reads (`ListingRow`), `seen` unknown.
const COLUMNS: &str = concat!("d.id, d.version, d.change_seq, CAST(NULL AS BIGINT) AS seen, ", fact_columns!());

/// The sites a scope's window covers, for its index arms: its own, or for every site the project's
/// sites as its documents name them (found by a loose index scan on `documents_scope_site`: one
/// probe per site, not a read of the project's documents).
async fn window_sites(db: &Db, scope: &Scope) -> Result<Vec<String>, sqlx::Error> {
    if let Some(sites) = &scope.sites {
        return Ok(sites.clone());
    }
    const DISTINCT_SITES: &str = "WITH RECURSIVE s (site) AS ( \
           SELECT MIN(scope_site) FROM documents WHERE project_id = $1 \
           UNION ALL \
           SELECT (SELECT MIN(d.scope_site) FROM documents d WHERE d.project_id = $2 AND d.scope_site > s.site) \
           FROM s WHERE s.site IS NOT NULL) \
         SELECT site FROM s WHERE site IS NOT NULL";
    Ok(on_pool!(db, |p| sqlx::query_scalar(DISTINCT_SITES)
        .bind(&scope.project)
        .bind(&scope.project)
        .fetch_all(p)
        .await?))
}

/// The statement of the cursor-0 listing of `scope` (docs/sync-scopes.md §3) and its arguments: a
/// `UNION` of arms, each on one of the scope's indexes: documents without facts (the reference
/// data among them), the holder's own, the window's `sites` from its first day, open ones of the
/// sites for a supervisor, open ones assigned to the person, and the device's held documents that
/// changed. A superset: each row still goes through `judge`.
pub(super) fn superset_sql(scope: &Scope, sites: &[String]) -> (String, Vec<String>) {
    let mut args = Vec::new();
    let mut arms = Vec::new();
    // Each arm: the project's placeholder, then its condition's (numbered in the text's order).
    let mut arm = |args: &mut Vec<String>, cond: &dyn Fn(&mut Vec<String>) -> String| {
        let p = push(args, &scope.project);
        let c = cond(args);
        arms.push(format!("SELECT {COLUMNS} FROM documents d WHERE d.project_id = {p} AND {c}"));
    };
    arm(&mut args, &|_| "d.scope_site IS NULL".to_string());
    arm(&mut args, &|a| format!("d.scope_owner = {}", push(a, &scope.holder().key())));
    if scope.window_days > 0 && !sites.is_empty() {
        let start = scope.window_start().map(|d| d.format("%Y-%m-%d").to_string());
        arm(&mut args, &|a| {
            let list = push_list(a, sites);
            match &start {
                Some(start) => format!("d.scope_site IN ({list}) AND d.scope_date >= {}", push(a, start)),
                None => format!("d.scope_site IN ({list})"),
            }
        });
    }
    if scope.open_reach == OpenReach::Sites && !sites.is_empty() {
        arm(&mut args, &|a| format!("d.scope_open = 1 AND d.scope_site IN ({})", push_list(a, sites)));
    }
    if let Some(person) = scope.person.as_deref() {
        arm(&mut args, &|a| format!("d.scope_open = 1 AND d.scope_assignee = {}", push(a, person)));
    }
    let dev = push(&mut args, &scope.device);
    arms.push(format!(
        "SELECT {COLUMNS} FROM sync_states s JOIN documents d ON d.id = s.doc_id \
         WHERE s.device_id = {dev} AND d.version > s.seen_version"
    ));
    // The companions of the documents the device holds (those it holds too are skipped by the
    // listing): a record held is judged by its companions on the phone (`WITH_RECORD`).
    let (dev, p) = (push(&mut args, &scope.device), push(&mut args, &scope.project));
    arms.push(format!(
        "SELECT {COLUMNS} FROM sync_states s JOIN documents d \
         ON d.id IN ('approval:' || s.doc_id, 'follow_up:' || s.doc_id) \
         WHERE s.device_id = {dev} AND d.project_id = {p}"
    ));
    (arms.join(" UNION "), args)
}

/// The superset listing of `scope` at cursor 0 for `device`, and the project's highest change
/// number read before it (the cursor's next value: a write committing meanwhile has a higher one
/// and is listed next time).
async fn superset(db: &Db, scope: &Scope) -> Result<(Vec<ListingRow>, i64), sqlx::Error> {
    let max_seq: Option<i64> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT seq FROM project_change_seq WHERE project_id = $1")
            .bind(&scope.project)
            .fetch_optional(p)
            .await?);
    let sites = window_sites(db, scope).await?;
    let (sql, args) = superset_sql(scope, &sites);
    Ok((listing_rows(db, sql, &args).await?, max_seq.unwrap_or(0)))
}

/// Documents of `project` by id (`ids` chunked), as listing rows.
async fn rows_by_id(db: &Db, project: &str, ids: &[String]) -> Result<Vec<ListingRow>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        let mut args = vec![project.to_string()];
        let list = push_list(&mut args, chunk);
        let sql = format!("SELECT {COLUMNS} FROM documents d WHERE d.project_id = $1 AND d.id IN ({list})");
        rows.extend(listing_rows(db, sql, &args).await?);
    }
    Ok(rows)
}

impl SyncSession<'_> {
    /// The phone's `dropped` (docs/sync-scopes.md §4), first thing in the request: each document
    /// the device has a state for loses it, and its element leaves the device's digest (the phone's
    /// digest in this request already excludes it); an id without a state changes nothing, so a
    /// retried request is harmless. Written with the request's write.
    pub(super) async fn drop_states(&mut self, ids: &[String]) -> Result<(), sqlx::Error> {
        self.load_states(ids.iter().map(String::as_str)).await?;
        for id in ids {
            let shared = self.shared_of(id);
            if self.dev.docs.remove(id).is_none() {
                continue;
            }
            if let Some(e) = element(id, &shared) {
                xor_into(&mut self.dev.manifest, &e);
                self.pending.manifest = true;
            }
            self.pending.upserts.remove(id);
            self.pending.deleted.push(id.clone());
            self.absent.insert(id.clone());
        }
        Ok(())
    }

    /// The device's scope fingerprint is not the one stored for it (a new device, a site added,
    /// a new role...): its cursor goes back to 0 (listed by the scope's indexes) and `fp` is stored,
    /// both in the request's write. A lost answer taken back restores cursor 0 too.
    pub(super) fn rescope(&mut self, fp: Vec<u8>) {
        self.dev.cursor = 0;
        self.pending.cursor = true;
        self.pending.scope_fp = Some(fp);
        self.batch.cursor = 0;
    }

    /// What a scoped device is offered (docs/sync-scopes.md §3): per listed document, held → offered
    /// when stale; not held → offered when `judge` says in; the cursor passes every listed document
    /// once the offered ones are seen. `grant` is the token lookup's listing, used when it still
    /// holds (the cursor unchanged since). Documents the phone listed in a full manifest with other
    /// heads (`reoffer`) are offered afresh whatever the scope.
    pub(super) async fn scoped_listing(
        &mut self,
        scope: &Scope,
        grant: Option<GrantListing>,
    ) -> Result<ScopedListing, DocStoreError> {
        // States taken back (a lost answer) or reset are written first, so the listing's
        // held-and-stale arm reads them; dropped and reconciled ones are only missing, which the
        // states read below show.
        // The grant listed from the cursor stored before this request: it holds unless the request
        // moved the cursor (a reset, a reconcile, a batch taken back, a new scope).
        let grant = grant.filter(|_| !self.pending.cursor && !self.pending.reset && self.pending.upserts.is_empty());
        if self.pending.reset || !self.pending.upserts.is_empty() {
            self.commit_pending().await?;
        }
        let (mut rows, max_seq): (Vec<(String, i64, ListedFacts)>, i64) = if self.dev.cursor == 0 && !scope.full {
            let (rows, max_seq) = superset(self.db, scope).await?;
            (rows.into_iter().map(ListingRow::into_parts).collect(), max_seq)
        } else {
            let (unseen, facts, max_seq) = match grant {
                Some(listing) => listing,
                None => self.list_changed().await?,
            };
            (unseen.into_iter().zip(facts).map(|((id, v), f)| (id, v, f)).collect(), max_seq)
        };
        let listed: HashSet<String> = rows.iter().map(|(id, _, _)| id.clone()).collect();
        let missing: Vec<String> = self.reoffer.iter().filter(|id| !listed.contains(*id)).cloned().collect();
        if !missing.is_empty() {
            let extra = rows_by_id(self.db, &self.grant.project_id, &missing).await?;
            rows.extend(extra.into_iter().map(ListingRow::into_parts));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.dedup_by(|a, b| a.0 == b.0);
        // With the states of the companions' records (`WITH_RECORD`).
        let records = rows.iter().filter_map(|(id, _, _)| scope::companion_of(id));
        let ids: Vec<String> = rows.iter().map(|(id, _, _)| id.as_str()).chain(records).map(str::to_string).collect();
        self.load_states(ids.iter().map(String::as_str)).await?;
        let params = scope.params();
        let holder = scope.holder().key();
        let mut out = ScopedListing { unseen: Vec::new(), offers: Vec::new() };
        for (id, version, facts) in rows {
            let why = match self.dev.docs.get(&id) {
                Some(held) if held.seen_version >= version => continue,
                Some(_) => None,
                None if self.reoffer.contains(&id) => Some(RECONCILED),
                None => match judge(&id, &facts, &params) {
                    Some(why) => Some(why),
                    None if scope::companion_of(&id).is_some_and(|r| self.dev.docs.contains_key(r)) => {
                        Some(WITH_RECORD)
                    }
                    None => {
                        out.unseen.push((id, version));
                        continue;
                    }
                },
            };
            out.unseen.push((id.clone(), version));
            let own = facts.owner.as_deref() == Some(holder.as_str());
            out.offers.push(Offer { id, version, why, own });
        }
        let offered = out.offers.iter().map(|o| (o.id.clone(), o.version)).collect();
        self.listed(offered, max_seq);
        Ok(out)
    }
}

/// One `fetch` entry, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Wanted {
    Record(String),
    Days { site: String, from: NaiveDate, to: NaiveDate },
}

/// Checks the request's `fetch` (docs/sync-scopes.md §5): 400 naming `fetch` or `fetch[i].<field>`
/// and the limit.
pub(super) fn validate_fetch(fetch: &[Fetch]) -> Result<Vec<Wanted>, ApiError> {
    if fetch.len() > MAX_FETCH {
        return Err(ApiError::bad_request(
            "fetch",
            format!("at most {MAX_FETCH} entries in one request, not {}", fetch.len()),
        ));
    }
    let text = |i: usize, field: &str, s: &str| -> Result<String, ApiError> {
        if s.is_empty() || s.len() > record_schema::shape::MAX_ID_BYTES {
            return Err(ApiError::bad_request(
                &format!("fetch[{i}].{field}"),
                format!("1 to {} bytes, not {}", record_schema::shape::MAX_ID_BYTES, s.len()),
            ));
        }
        Ok(s.to_string())
    };
    let day = |i: usize, field: &str, s: &str| {
        parse_day(s).ok_or_else(|| {
            ApiError::bad_request(&format!("fetch[{i}].{field}"), format!("a date is YYYY-MM-DD, not {s:?}"))
        })
    };
    let mut out = Vec::with_capacity(fetch.len());
    for (i, f) in fetch.iter().enumerate() {
        out.push(match f {
            Fetch::Record { id } => Wanted::Record(text(i, "id", id)?),
            Fetch::Days { site, from, to } => {
                let site = text(i, "site", site)?;
                let (from, to) = (day(i, "from", from)?, day(i, "to", to)?);
                if to < from {
                    return Err(ApiError::bad_request(
                        &format!("fetch[{i}].to"),
                        format!("{to} is before from {from}"),
                    ));
                }
                let n = (to - from).num_days() + 1;
                if n > MAX_FETCH_DAYS {
                    return Err(ApiError::bad_request(
                        &format!("fetch[{i}].to"),
                        format!("at most {MAX_FETCH_DAYS} days in one range, not {n}"),
                    ));
                }
                Wanted::Days { site, from, to }
            }
        });
    }
    Ok(out)
}

/// What one `fetch` entry found: its records' ids (`Fetched::ids`), their documents and their
/// companions' (id, version, owner key), and whether the range had more records.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub records: Vec<String>,
    pub docs: Vec<(String, i64, Option<String>)>,
    pub more: bool,
}

/// A row of a fetch's statements.
#[derive(sqlx::FromRow)]
struct FetchRow {
    id: String,
    version: i64,
    kind: String,
    scope_owner: Option<String>,
}

/// The documents `wanted` names in `project`, each record with its companions. A record id that
/// is not a record of the project (unknown, another project's, a companion) is 400 naming
/// `fetch[i].id`, the same answer whichever (no existence oracle).
pub(super) async fn find_fetched(db: &Db, project: &str, wanted: &[Wanted]) -> Result<Vec<Found>, ApiError> {
    let mut out = Vec::with_capacity(wanted.len());
    for (i, w) in wanted.iter().enumerate() {
        let (records, more) = match w {
            Wanted::Record(id) => {
                let rows = fetch_rows(
                    db,
                    "SELECT id, version, kind, scope_owner FROM documents WHERE project_id = $1 AND id = $2",
                    &[project, id],
                )
                .await?;
                if !rows.iter().any(|r| r.kind.parse::<RecordKind>().is_ok_and(|k| !k.server_owned())) {
                    return Err(ApiError::bad_request(
                        &format!("fetch[{i}].id"),
                        format!("no record {id} in this project"),
                    ));
                }
                (rows, false)
            }
            Wanted::Days { site, from, to } => {
                let (from, to) = (from.format("%Y-%m-%d").to_string(), to.format("%Y-%m-%d").to_string());
                const DAYS: &str = "SELECT id, version, kind, scope_owner FROM documents \
                     WHERE project_id = $1 AND scope_site = $2 AND scope_date >= $3 AND scope_date <= $4 \
                     AND kind NOT IN ('approval', 'follow_up', 'reference_data') ORDER BY scope_date, id LIMIT 501";
                let mut rows = fetch_rows(db, DAYS, &[project, site, &from, &to]).await?;
                let more = rows.len() > MAX_FETCH_RECORDS;
                rows.truncate(MAX_FETCH_RECORDS);
                (rows, more)
            }
        };
        let mut found = Found { more, ..Found::default() };
        let companions: Vec<String> =
            records.iter().flat_map(|r| [format!("approval:{}", r.id), format!("follow_up:{}", r.id)]).collect();
        for r in records {
            found.records.push(r.id.clone());
            found.docs.push((r.id, r.version, r.scope_owner));
        }
        for chunk in companions.chunks(500) {
            let placeholders: Vec<String> = (0..chunk.len()).map(|k| format!("${}", k + 2)).collect();
            let sql = format!(
                "SELECT id, version, kind, scope_owner FROM documents WHERE project_id = $1 AND id IN ({})",
                placeholders.join(", ")
            );
            let mut binds: Vec<&str> = vec![project];
            binds.extend(chunk.iter().map(String::as_str));
            for r in fetch_rows(db, &sql, &binds).await? {
                found.docs.push((r.id, r.version, r.scope_owner));
            }
        }
        out.push(found);
    }
    Ok(out)
}

async fn fetch_rows(db: &Db, sql: &str, binds: &[&str]) -> Result<Vec<FetchRow>, ApiError> {
    let rows: Result<Vec<FetchRow>, sqlx::Error> = async {
        Ok(on_pool!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()));
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_all(p).await?
        }))
    }
    .await;
    rows.map_err(ApiError::internal)
}

/// The `own` of a response: whether `owner` (a row's `scope_owner`) is the scope's holder.
pub(super) fn owns(scope: &Scope, owner: Option<&str>) -> bool {
    owner.is_some_and(|o| o == scope.holder().key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: &str, site: Option<&str>, date: Option<&str>) -> ListedFacts {
        ListedFacts {
            kind: kind.into(),
            site: site.map(Into::into),
            date: date.map(Into::into),
            owner: None,
            open: false,
            assignee: None,
        }
    }

    fn scope(sites: Option<Vec<String>>) -> Scope {
        Scope {
            project: "P1".into(),
            device: "dev".into(),
            person: Some("wang".into()),
            sites,
            today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default(),
            window_days: 14,
            own_days: None,
            open_reach: OpenReach::Own,
            full: false,
        }
    }

    #[test]
    fn rows_are_judged_by_their_facts_and_rows_without_facts_are_in() {
        let s = scope(Some(vec!["S1".into()]));
        let p = s.params();
        assert_eq!(judge("r1", &facts("labour_sheet", Some("S1"), Some("2026-12-01")), &p), Some("site_window"));
        assert_eq!(judge("r1", &facts("labour_sheet", Some("S1"), Some("2026-11-01")), &p), None);
        assert_eq!(judge("r1", &facts("labour_sheet", Some("S2"), Some("2026-12-07")), &p), None);
        assert_eq!(judge("approval:r1", &facts("approval", Some("S1"), Some("2026-12-01")), &p), Some("site_window"));
        assert_eq!(judge("approval:r1", &facts("approval", Some("S2"), Some("2026-12-01")), &p), None);
        assert_eq!(judge("r1", &facts("labour_sheet", None, None), &p), Some(NO_FACTS));
        assert_eq!(judge("r1", &facts("labour_sheet", Some("S1"), Some("7 Dec")), &p), Some(NO_FACTS));
        assert_eq!(judge("reference:P1", &facts("reference_data", None, None), &p), Some("reference"));
        let mut mine = facts("expense", Some("S9"), Some("2020-01-01"));
        mine.owner = Some("p:wang".into());
        assert_eq!(judge("e1", &mine, &p), Some("own"));
        let mut assigned = facts("follow_up", Some("S9"), Some("2020-01-01"));
        assigned.open = true;
        assigned.assignee = Some("wang".into());
        assert_eq!(judge("follow_up:o1", &assigned, &p), Some("assigned"));
        assigned.kind = "approval".into();
        assert_eq!(judge("approval:o1", &assigned, &p), Some("assigned"));
    }

    #[test]
    fn fetch_is_checked_field_by_field() {
        let days = |from: &str, to: &str| Fetch::Days { site: "S1".into(), from: from.into(), to: to.into() };
        let field = |f: Vec<Fetch>| validate_fetch(&f).err().and_then(|e| e.field);
        assert_eq!(field(vec![days("2026-12-01", "2026-12-31")]), None);
        assert_eq!(field(vec![days("2026-12-01", "2027-01-01")]).as_deref(), Some("fetch[0].to"));
        assert_eq!(
            field(vec![Fetch::Record { id: "r".into() }, days("2026-12-02", "2026-12-01")]).as_deref(),
            Some("fetch[1].to")
        );
        assert_eq!(field(vec![days("2026-1-01", "2026-12-01")]).as_deref(), Some("fetch[0].from"));
        assert_eq!(field(vec![Fetch::Record { id: String::new() }]).as_deref(), Some("fetch[0].id"));
        assert_eq!(field(vec![Fetch::Record { id: "r".into() }; 5]).as_deref(), Some("fetch"));
    }

    #[test]
    fn the_wire_scope_says_what_the_fingerprint_covers() {
        let s = scope(None);
        let w = s.wire();
        assert_eq!((w.holder.as_str(), w.sites, w.window_days, w.open_reach.as_str()), ("p:wang", None, 14, "own"));
        assert_eq!(w.fp, s.fingerprint());
        assert_eq!(s.window_start(), NaiveDate::from_ymd_opt(2026, 11, 24));
    }

    /// 20,000 documents over the two years up to 2026-12-07 on three sites, as issue 25's joining case (28 a day,
    /// one in 50 open, owners spread over 30 devices), statistics gathered.
    async fn two_years(db: &Db) {
        let (pg, sqlite) = (
            "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms, scope_site, scope_date, \
             scope_owner, scope_open) \
             SELECT 'r' || g, 'P1', 'expense', '\\x00'::bytea, 1, 0, 'S' || (g % 3), \
             to_char(DATE '2024-12-24' + (g / 28), 'YYYY-MM-DD'), 'd:w' || (g % 30), CASE WHEN g % 50 = 0 THEN 1 ELSE 0 END \
             FROM generate_series(1, 20000) AS g",
            "WITH RECURSIVE n (g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < 20000) \
             INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms, scope_site, scope_date, \
             scope_owner, scope_open) \
             SELECT 'r' || g, 'P1', 'expense', x'00', 1, 0, 'S' || (g % 3), date('2024-12-24', '+' || (g / 28) || ' days'), \
             'd:w' || (g % 30), CASE WHEN g % 50 = 0 THEN 1 ELSE 0 END FROM n",
        );
        match db {
            Db::Postgres(p) => {
                sqlx::query(pg).execute(p).await.expect("documents");
                sqlx::query("ANALYZE").execute(p).await.expect("analyze");
            }
            Db::Sqlite(p) => {
                sqlx::query(sqlite).execute(p).await.expect("documents");
                sqlx::query("ANALYZE").execute(p).await.expect("analyze");
            }
        }
    }

    /// The plan of `sql` with `args`, one line per node.
    async fn plan(db: &Db, sql: &str, args: &[String]) -> Vec<String> {
        match db {
            Db::Postgres(p) => {
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")));
                for a in args {
                    q = q.bind(a.as_str());
                }
                q.fetch_all(p).await.expect("explain")
            }
            Db::Sqlite(p) => {
                let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(format!(
                    "EXPLAIN QUERY PLAN {sql}"
                )));
                for a in args {
                    q = q.bind(a.as_str());
                }
                q.fetch_all(p).await.expect("explain").into_iter().map(|r| r.3).collect()
            }
        }
    }

    /// Issue 25's "cursor 0 lists no history": each arm of the superset listing, and the loose
    /// scan for an all-sites scope's sites, is an index search on both backends, never a scan of
    /// the project's documents; the listing of a foreman joining the two-year project reads its
    /// scope, not the 20,000 documents.
    async fn cursor_zero_reads_by_index(db: Db) {
        two_years(&db).await;
        let mut s = scope(Some(vec!["S1".into()]));
        s.today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        s.person = Some("wang".into());
        let supervisor = Scope { open_reach: OpenReach::Sites, sites: None, ..s.clone() };
        for sc in [&s, &supervisor] {
            let sites = window_sites(&db, sc).await.expect("sites");
            let (sql, args) = superset_sql(sc, &sites);
            let lines = plan(&db, &sql, &args).await;
            let scans: Vec<&String> = lines
                .iter()
                .filter(|l| l.contains("Seq Scan on documents") || l.starts_with("SCAN d") || l.starts_with("SCAN s"))
                .collect();
            assert!(scans.is_empty(), "{}:\n{}", db.backend(), lines.join("\n"));
            let started = std::time::Instant::now();
            let (rows, max_seq) = superset(&db, sc).await.expect("listing");
            let took = started.elapsed();
            assert!(max_seq >= 20_000, "{max_seq}");
            // Against the listing a cursor of 0 meant before scopes: every document of the project.
            let started = std::time::Instant::now();
            let sql = format!("SELECT {COLUMNS} FROM documents d WHERE d.project_id = $1 AND d.change_seq > $2");
            let all: Vec<ListingRow> = on_pool!(&db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind("P1")
                .bind(0i64)
                .fetch_all(p)
                .await
                .expect("all"));
            eprintln!(
                "{} {:?}: superset {} rows in {:?}; whole project {} rows in {:?}",
                db.backend(),
                sc.open_reach,
                rows.len(),
                took,
                all.len(),
                started.elapsed()
            );
            assert!(rows.len() < 1_000, "{}", rows.len());
        }
        let sites = window_sites(&db, &supervisor).await.expect("sites");
        assert_eq!(sites, ["S0", "S1", "S2"]);
        const DISTINCT: &str = "WITH RECURSIVE s (site) AS ( SELECT MIN(scope_site) FROM documents WHERE project_id = $1 \
             UNION ALL SELECT (SELECT MIN(d.scope_site) FROM documents d WHERE d.project_id = $2 AND d.scope_site > s.site) \
             FROM s WHERE s.site IS NOT NULL) SELECT site FROM s WHERE site IS NOT NULL";
        let lines = plan(&db, DISTINCT, &["P1".into(), "P1".into()]).await;
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("Seq Scan on documents") || l.starts_with("SCAN d") || l == "SCAN documents"),
            "{}",
            lines.join("\n")
        );
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
    }

    #[test]
    fn cursor_zero_reads_by_index_on_sqlite() {
        let dir = tempfile::tempdir().expect("dir");
        runtime()
            .block_on(async { cursor_zero_reads_by_index(Db::connect(None, dir.path()).await.expect("db")).await });
    }

    #[test]
    fn cursor_zero_reads_by_index_on_postgresql() {
        let pg = fieldledger_tests::ThrowawayPg::create();
        let dir = tempfile::tempdir().expect("dir");
        runtime().block_on(async {
            cursor_zero_reads_by_index(Db::connect(Some(&pg.url()), dir.path()).await.expect("db")).await
        });
    }
}
