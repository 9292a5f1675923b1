//! Sync scopes on the phone (issue 25, docs/sync-scopes.md §4–5): what the server said of the
//! device's scope (`store_meta`: `scope` and `as_of`, per project under `sync_all`), the phone's own
//! records (`records.own`), the eviction plan after a quiet sync, the ids it dropped until the server
//! has answered them (`scope_dropped`), the documents fetched on demand (`pins`), the records open
//! in the app's editor (`editor_holds`), and the records evicted (`evicted`, so that asking for one
//! says it is no longer on the phone rather than not found).
//!
//! The rule is `record_schema::scope`, the server's too: the phone only feeds it what it holds.
//! A plan runs after a sync that ended quietly, and only when the server's day or the device's
//! parameters changed since the last one, so an idle sync reads two `store_meta` rows, never the
//! documents.

use std::collections::{HashMap, HashSet};

use automerge::ReadDoc;
use automerge::sync::State;
use chrono::NaiveDate;
use record_schema::scope::{
    self, DocFacts, HeldDoc, Holder, OpenReach, RecordFacts, ScopeParams, Sites, Standing, Verdict, Why,
};
use record_schema::wire::{Fetch, MAX_FETCH, MAX_FETCH_DAYS, WireScope};
use record_schema::{Approval, FollowUp, FollowUpStatus, RecordKind, ValidationError, now_ms};

use super::pairing::DOCS_OF_PROJECT;
use super::{Hot, MediaDir, Store, documents};
use crate::error::{Error, Result};

/// How long a document fetched on demand stays whatever the scope.
pub const PIN_MS: i64 = 24 * 60 * 60 * 1000;

/// How long `hold_open` keeps a record from eviction unless released or renewed: an app killed
/// with an editor open does not keep the record for ever.
pub const HOLD_MS: i64 = 12 * 60 * 60 * 1000;

/// How long the phone remembers that it evicted a record (`evicted`), to say so instead of
/// "not found".
const EVICTED_MEMORY_MS: i64 = 400 * 24 * 60 * 60 * 1000;

/// Most documents one plan drops (the rest wait for the next plan, after the next quiet sync).
pub const MAX_EVICTIONS: usize = 1000;

/// Most `scope_dropped` ids one sync sends (a plan drops at most `MAX_EVICTIONS`; this only bounds
/// a backlog).
const MAX_DROPPED_SENT: i64 = 5000;

/// What the store keeps of one token's scope between syncs.
#[derive(Debug, Default, Clone)]
pub(crate) struct ScopeState {
    pub scope: Option<WireScope>,
    pub as_of: Option<String>,
    /// `as_of` and fingerprint of the last complete plan (`plan_mark`).
    pub plan: Option<String>,
    /// Ids evicted and not yet answered by the server.
    pub dropped: Vec<String>,
}

/// The `store_meta` keys of a token's scope: unsuffixed for the single-token `sync`, per project
/// under `sync_all` (each project has its own token, scope and day).
fn key(name: &str, project: Option<&str>) -> String {
    match project {
        Some(p) => format!("{name}/{p}"),
        None => name.to_string(),
    }
}

fn plan_mark(as_of: &str, scope: &WireScope) -> String {
    format!("{as_of} {}", hex::encode(&scope.fp))
}

/// Checks one request's `fetch` as the server would, so bad input is refused before going online:
/// field names say which entry (`fetch[1].to`).
pub fn check_fetch(fetch: &[Fetch]) -> Result<()> {
    if fetch.is_empty() || fetch.len() > MAX_FETCH {
        return Err(ValidationError::new("fetch", format!("between 1 and {MAX_FETCH} entries")).into());
    }
    for (i, f) in fetch.iter().enumerate() {
        match f {
            Fetch::Record { id } => record_schema::validate::check_required(&format!("fetch[{i}].id"), id)?,
            Fetch::Days { site, from, to } => {
                record_schema::validate::check_required(&format!("fetch[{i}].site"), site)?;
                check_days(&format!("fetch[{i}]."), from, to)?;
            }
        }
    }
    Ok(())
}

/// `from` and `to` are dates (`YYYY-MM-DD`), `from` ≤ `to`, at most `MAX_FETCH_DAYS` days.
pub fn check_days(prefix: &str, from: &str, to: &str) -> Result<(NaiveDate, NaiveDate)> {
    let date = |field: &str, s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ValidationError::new(format!("{prefix}{field}"), format!("{s:?} is not a date (YYYY-MM-DD)")))
    };
    let (f, t) = (date("from", from)?, date("to", to)?);
    if f > t {
        return Err(ValidationError::new(format!("{prefix}from"), format!("{f} is after to ({t})")).into());
    }
    if (t - f).num_days() + 1 > MAX_FETCH_DAYS {
        return Err(
            ValidationError::new(format!("{prefix}to"), format!("at most {MAX_FETCH_DAYS} days from {f}")).into()
        );
    }
    Ok((f, t))
}

/// One held document's row, as the plan reads it.
#[derive(sqlx::FromRow)]
struct HeldRow {
    id: String,
    kind: String,
    heads: Option<Vec<u8>>,
    state: Option<Vec<u8>>,
    project_id: Option<String>,
    site_id: Option<String>,
    record_date: Option<String>,
    conflict_count: Option<i64>,
    voided: Option<bool>,
    own: Option<bool>,
    pending_upload: bool,
}

/// A held record's facts as the phone knows them.
struct Facts {
    kind: RecordKind,
    project: String,
    site: String,
    date: NaiveDate,
    own: bool,
    voided: bool,
    in_conflict: bool,
    heads: Option<Vec<u8>>,
}

/// The parameters `scope` says, for `project`, on `today`.
fn params<'a>(scope: &'a WireScope, holder: Holder<'a>, project: &'a str, today: NaiveDate) -> ScopeParams<'a> {
    ScopeParams {
        project,
        holder,
        sites: scope.sites.as_deref().map_or(Sites::All, Sites::Only),
        today,
        window_days: scope.window_days,
        own_days: scope.own_days,
        open_reach: if scope.open_reach == "sites" { OpenReach::Sites } else { OpenReach::Own },
        full: scope.full,
    }
}

/// What a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evicted {
    /// Documents dropped (records and their companions).
    pub documents: u32,
    /// Out of scope but kept (pinned, unsynced, photo waiting, unsettled, or a group member kept).
    pub kept_out_of_scope: u32,
}

impl Store {
    /// The scope state of `project`'s token (`None`: the single-token sync): three `store_meta`
    /// rows and the dropped ids waiting for an answer.
    pub(crate) async fn load_scope(&self, project: Option<&str>) -> Result<ScopeState> {
        let keys = [key("scope", project), key("as_of", project), key("scope_plan", project)];
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM store_meta WHERE key IN (?, ?, ?)")
            .bind(&keys[0])
            .bind(&keys[1])
            .bind(&keys[2])
            .fetch_all(&self.pool)
            .await?;
        let mut s = ScopeState::default();
        for (k, v) in rows {
            if k == keys[0] {
                // Unreadable (a newer app wrote it): as if none, the server sends it again.
                s.scope = serde_json::from_str(&v).ok();
            } else if k == keys[1] {
                s.as_of = Some(v);
            } else {
                s.plan = Some(v);
            }
        }
        s.dropped = sqlx::query_scalar(
            "SELECT doc_id FROM scope_dropped WHERE ?1 IS NULL OR project_id = ?1 ORDER BY doc_id LIMIT ?2",
        )
        .bind(project)
        .bind(MAX_DROPPED_SENT)
        .fetch_all(&self.pool)
        .await?;
        Ok(s)
    }

    /// The server answered a request carrying `ids` as dropped: they are no longer sent.
    pub(crate) async fn forget_dropped(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("DELETE FROM scope_dropped WHERE doc_id IN (SELECT value FROM json_each(?))")
            .bind(json_ids(ids))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the records `ids` own (the server says the device's holder owns them). Returns the
    /// ids not (yet) stored as records, to try again once they are.
    pub(crate) async fn mark_own(&self, ids: &[String]) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query("UPDATE records SET own = 1 WHERE own = 0 AND id IN (SELECT value FROM json_each(?))")
            .bind(json_ids(ids))
            .execute(&self.pool)
            .await?;
        let stored: HashSet<String> =
            sqlx::query_scalar("SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?))")
                .bind(json_ids(ids))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        Ok(ids.iter().filter(|id| !stored.contains(*id)).cloned().collect())
    }

    /// Keeps the server's `as_of` and `scope` after a successful sync (written only when changed:
    /// an idle sync writes nothing).
    pub(crate) async fn keep_scope(
        &self,
        project: Option<&str>,
        before: &ScopeState,
        as_of: Option<&str>,
        scope: Option<&WireScope>,
    ) -> Result<()> {
        let mut writes: Vec<(String, String)> = Vec::new();
        if let Some(a) = as_of.filter(|a| before.as_of.as_deref() != Some(*a)) {
            writes.push((key("as_of", project), a.to_string()));
        }
        if let Some(s) = scope.filter(|s| before.scope.as_ref() != Some(*s)) {
            let json = serde_json::to_string(s).map_err(|e| Error::Internal(format!("scope: {e}")))?;
            writes.push((key("scope", project), json));
        }
        if writes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (k, v) in writes {
            sqlx::query("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The scope and day of `project`'s token as last stored, if the server has sent both.
    pub async fn scope_of(&self, project: Option<&str>) -> Result<Option<(WireScope, NaiveDate)>> {
        let s = self.load_scope(project).await?;
        let day = s.as_of.as_deref().and_then(|a| NaiveDate::parse_from_str(a, "%Y-%m-%d").ok());
        Ok(s.scope.zip(day))
    }

    /// Whether the rule may drop a colleague's record of `site` dated `day` from this phone: the
    /// day is outside the site window of the stored scope (or the site is not the device's).
    pub async fn day_may_be_evicted(&self, project: Option<&str>, site: &str, day: NaiveDate) -> Result<bool> {
        let Some((s, today)) = self.scope_of(project).await? else { return Ok(false) };
        let our_site = s.sites.as_deref().is_none_or(|sites| sites.iter().any(|x| x == site));
        let in_window = our_site && scope::within(day, today, s.window_days);
        Ok(!s.full && !in_window)
    }

    /// Pins `ids` (records fetched on demand; their companions go with them) for `PIN_MS`.
    pub(crate) async fn pin(&self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO pins (doc_id, until_ms) SELECT value, ?1 FROM json_each(?2) WHERE true \
             ON CONFLICT (doc_id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)",
        )
        .bind(now_ms() + PIN_MS)
        .bind(json_ids(ids))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether record `id` is not held because this phone evicted it (and has not held it since).
    pub async fn was_evicted(&self, id: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM evicted WHERE doc_id = ?1 AND NOT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Record `id` is open in the app's editor: the eviction plan keeps it and its companions until
    /// `release_hold(id)`, or `HOLD_MS` after the last call (an app killed meanwhile never
    /// releases). Calling it again renews the hold.
    pub async fn hold_open(&self, id: &str) -> Result<()> {
        record_schema::validate::check_required("id", id)?;
        sqlx::query(
            "INSERT INTO editor_holds (doc_id, until_ms) VALUES (?, ?) \
             ON CONFLICT (doc_id) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(id)
        .bind(now_ms() + HOLD_MS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The editor of record `id` closed: the plan may let it go again. If a plan kept it only for
    /// the hold, the next quiet sync plans again (rather than on the next day), so it leaves the
    /// phone once the edit is synced and settled. Releasing what is not held does nothing.
    pub async fn release_hold(&self, id: &str) -> Result<()> {
        let kept: Option<bool> = sqlx::query_scalar("DELETE FROM editor_holds WHERE doc_id = ? RETURNING kept")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if kept == Some(true) {
            sqlx::query("DELETE FROM store_meta WHERE key = 'scope_plan' OR key LIKE 'scope_plan/%'")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Runs the eviction plan if one is due: the stored scope and day differ from the last plan's.
    /// Call after a sync that ended quietly (no manifest asked, nothing refused).
    pub(crate) async fn plan_if_due(&self, project: Option<&str>) -> Result<Option<Evicted>> {
        let s = self.load_scope(project).await?;
        let (Some(scope), Some(as_of)) = (&s.scope, &s.as_of) else { return Ok(None) };
        if s.plan.as_deref() == Some(plan_mark(as_of, scope).as_str()) {
            return Ok(None);
        }
        self.evict(project).await.map(Some)
    }

    /// The eviction plan (docs/sync-scopes.md §4): of the project's documents (`project` none:
    /// every document), those `scope::eviction_plan` lets go, at most `MAX_EVICTIONS` (whole
    /// records with their companions), deleted in one transaction that also queues their ids in
    /// `scope_dropped`. Writes are held off meanwhile (the hot lock), so a document edited during
    /// the plan cannot be dropped with the edit.
    pub async fn evict(&self, project: Option<&str>) -> Result<Evicted> {
        let s = self.load_scope(project).await?;
        let (Some(wire), Some(as_of)) = (s.scope.clone(), s.as_of.clone()) else { return Ok(Evicted::default()) };
        let today = NaiveDate::parse_from_str(&as_of, "%Y-%m-%d")
            .map_err(|e| Error::Sync(format!("the server's day {as_of:?}: {e}")))?;
        let Some(holder) = Holder::parse(&wire.holder) else {
            return Err(Error::Sync(format!("the server's scope holder {:?} is not understood", wire.holder)));
        };
        let mut hot = self.hot.lock().await;
        let sql = format!(
            "SELECT d.id, d.kind, d.heads, s.state, r.project_id, r.site_id, r.record_date, r.conflict_count, \
             r.voided, r.own, EXISTS (SELECT 1 FROM photo_links l JOIN photos p ON p.sha256 = l.sha256 \
             WHERE l.record_id = d.id AND p.uploaded_at_ms IS NULL) AS pending_upload \
             FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id LEFT JOIN records r ON r.id = d.id \
             WHERE d.id IN ({DOCS_OF_PROJECT})"
        );
        let rows: Vec<HeldRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&self.pool).await?;
        let now = now_ms();
        let pins: HashSet<String> = sqlx::query_scalar("SELECT doc_id FROM pins WHERE until_ms > ?")
            .bind(now)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();
        // Records open in the app's editor: kept as pinned ones are.
        let holds: HashSet<String> = sqlx::query_scalar("SELECT doc_id FROM editor_holds WHERE until_ms > ?")
            .bind(now)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();

        // The records' facts first: a companion is judged by its record's.
        let mut facts: HashMap<String, Facts> = HashMap::new();
        for r in &rows {
            let Ok(kind) = r.kind.parse::<RecordKind>() else { continue };
            if kind.server_owned() || kind == RecordKind::ReferenceData {
                continue;
            }
            let (Some(project), Some(site), Some(date)) = (&r.project_id, &r.site_id, &r.record_date) else {
                continue;
            };
            let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else { continue };
            facts.insert(
                r.id.clone(),
                Facts {
                    kind,
                    project: project.clone(),
                    site: site.clone(),
                    date,
                    own: r.own.unwrap_or(false),
                    voided: r.voided.unwrap_or(false),
                    in_conflict: r.conflict_count.unwrap_or(0) > 0,
                    heads: r.heads.clone(),
                },
            );
        }

        /// One held document's standing in the plan.
        struct Judged {
            id: String,
            verdict: Verdict,
            synced: bool,
            pending_upload: bool,
            settled: bool,
            pinned: bool,
        }
        let mut open_cache: HashMap<String, bool> = HashMap::new();
        // Records out of scope that only an editor hold keeps: their release plans again.
        let mut kept_by_hold: HashSet<String> = HashSet::new();
        let mut judged = Vec::with_capacity(rows.len());
        // Own records whose photos' previews may go if the records are settled (checked later, for
        // those with a preview still here).
        let mut preview_candidates: HashSet<String> = HashSet::new();
        for r in &rows {
            let Ok(kind) = r.kind.parse::<RecordKind>() else { continue };
            let group = scope::group_of(&r.id);
            let synced = match (&r.heads, &r.state) {
                (Some(h), Some(state)) => {
                    State::decode(state).is_ok_and(|st| *h == documents::heads_bytes(&st.shared_heads))
                }
                _ => false,
            };
            let held_open = holds.contains(&r.id) || holds.contains(group);
            let pinned = pins.contains(&r.id) || pins.contains(group) || held_open;
            let out = |why| Verdict { why, companion: kind.server_owned() };
            let (verdict, settled) = if kind == RecordKind::ReferenceData {
                let project = r.id.strip_prefix("reference:").unwrap_or_default();
                let p = params(&wire, holder, project, today);
                (scope::decide(&DocFacts::Reference { project }, &p), true)
            } else if let Some(f) = facts.get(group) {
                let p = params(&wire, holder, &f.project, today);
                let record = |open: bool, assignee: Option<&'static str>| RecordFacts {
                    project: &f.project,
                    kind: f.kind,
                    site: &f.site,
                    date: f.date,
                    owner: f.own.then_some(holder),
                    open,
                    assignee,
                };
                let as_doc = |facts: RecordFacts<'_>| -> Verdict {
                    if kind.server_owned() {
                        scope::decide(&DocFacts::Companion { record: Some(facts) }, &p)
                    } else {
                        scope::decide(&DocFacts::Record(facts), &p)
                    }
                };
                let closed = as_doc(record(false, None));
                if r.id == group
                    && f.own
                    && synced
                    && !r.pending_upload
                    && !pinned
                    && scope::previews_may_go(&record(false, None), &p)
                {
                    preview_candidates.insert(group.to_string());
                }
                if closed.in_scope() {
                    (closed, true)
                } else if pinned || !synced || r.pending_upload {
                    // Kept anyway: what open would change does not matter today.
                    (closed, true)
                } else {
                    let open = self.record_open_cached(group, f, &mut open_cache).await?;
                    let mut verdict = as_doc(record(open, None));
                    if open && f.kind == RecordKind::Observation && !verdict.in_scope() {
                        let assignee = self.assignee(group).await?;
                        if let (Some(a), Some(person)) = (assignee.as_deref(), holder.person())
                            && a == person
                        {
                            // Assigned to this phone's person.
                            verdict = Verdict { why: Why::Assigned, companion: kind.server_owned() };
                        }
                    }
                    // Open and the holder's, or edited here: still this phone's to follow.
                    let settled = !open || (!f.own && !self.edited_here(group).await?);
                    (verdict, settled)
                }
            } else if kind.server_owned() {
                // A companion whose record this phone does not hold.
                (out(Why::NoRecord), true)
            } else {
                // Not judged (unknown kind, unreadable facts): kept.
                continue;
            };
            if held_open && !verdict.in_scope() {
                kept_by_hold.insert(group.to_string());
            }
            judged.push(Judged {
                id: r.id.clone(),
                verdict,
                synced,
                pending_upload: r.pending_upload,
                settled,
                pinned,
            });
        }
        // Groups side by side, so a plan cut at `MAX_EVICTIONS` never splits a record from its
        // companions.
        judged.sort_by(|a, b| scope::group_of(&a.id).cmp(scope::group_of(&b.id)).then(a.id.cmp(&b.id)));
        let held: Vec<HeldDoc<'_>> = judged
            .iter()
            .map(|j| HeldDoc {
                id: &j.id,
                verdict: j.verdict,
                synced: j.synced,
                pending_upload: j.pending_upload,
                settled: j.settled,
                pinned: j.pinned,
            })
            .collect();
        let plan = scope::eviction_plan(&held);
        let out_of_scope = held.iter().filter(|d| !d.verdict.in_scope()).count();
        let mut go: Vec<String> = Vec::new();
        let mut complete = true;
        let mut i = 0;
        while i < plan.len() {
            let group = scope::group_of(plan[i]);
            let end = plan[i..].iter().position(|id| scope::group_of(id) != group).map_or(plan.len(), |n| i + n);
            if go.len() + (end - i) > MAX_EVICTIONS {
                complete = false;
                break;
            }
            go.extend(plan[i..end].iter().map(|id| id.to_string()));
            i = end;
        }
        let project_of: HashMap<&str, &str> = go
            .iter()
            .map(|id| (id.as_str(), facts.get(scope::group_of(id)).map_or("", |f| f.project.as_str())))
            .collect();

        let freed = self.drop_documents(&mut hot, &go, &project_of).await?;
        // Under the hot lock still: an attach of the same photo to a new record waits.
        self.drop_previews(&preview_candidates, &facts, &mut open_cache).await?;
        drop(hot);
        if !kept_by_hold.is_empty() {
            let kept: Vec<String> = kept_by_hold.into_iter().collect();
            sqlx::query("UPDATE editor_holds SET kept = 1 WHERE doc_id IN (SELECT value FROM json_each(?))")
                .bind(json_ids(&kept))
                .execute(&self.pool)
                .await?;
        }
        for sha in freed {
            MediaDir::remove(&self.media.thumbnail(&sha))?;
            MediaDir::remove(&self.media.preview(&sha))?;
        }
        if complete {
            sqlx::query(
                "INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key("scope_plan", project))
            .bind(plan_mark(&as_of, &wire))
            .execute(&self.pool)
            .await?;
        }
        Ok(Evicted { documents: go.len() as u32, kept_out_of_scope: (out_of_scope - go.len()) as u32 })
    }

    /// Removes the preview files of uploaded photos whose every linked record is one of
    /// `candidates` (own, synced, nothing pending, held only for being own) and not open. Whether a preview is here is its file (`Photo::preview_on_phone`), so a crash
    /// between two removals leaves nothing to repair; `fetch_photo` brings one back.
    async fn drop_previews(
        &self,
        candidates: &HashSet<String>,
        facts: &HashMap<String, Facts>,
        open_cache: &mut HashMap<String, bool>,
    ) -> Result<()> {
        if candidates.is_empty() {
            return Ok(());
        }
        let links: Vec<(String, String)> = sqlx::query_as(
            "SELECT l.sha256, l.record_id FROM photo_links l JOIN photos p ON p.sha256 = l.sha256 \
             WHERE p.uploaded_at_ms IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_photo: HashMap<&str, Vec<&str>> = HashMap::new();
        for (sha, record) in &links {
            by_photo.entry(sha.as_str()).or_default().push(record.as_str());
        }
        for (sha, records) in by_photo {
            let path = self.media.preview(sha);
            if !records.iter().all(|r| candidates.contains(*r)) || !path.is_file() {
                continue;
            }
            let mut settled = true;
            for record in &records {
                let Some(f) = facts.get(*record) else {
                    settled = false;
                    break;
                };
                if self.record_open_cached(record, f, open_cache).await? {
                    settled = false;
                    break;
                }
            }
            if settled {
                MediaDir::remove(&path)?;
            }
        }
        Ok(())
    }

    /// Deletes `ids` from every table keyed by document and queues them in `scope_dropped`, in one
    /// transaction; then forgets them in memory. Returns the photos no longer linked to any record
    /// (already uploaded), whose thumbnails and previews may go.
    async fn drop_documents(
        &self,
        hot: &mut Hot,
        ids: &[String],
        project_of: &HashMap<&str, &str>,
    ) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = json_ids(ids);
        let mut tx = self.pool.begin().await?;
        let linked: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT sha256 FROM photo_links WHERE record_id IN (SELECT value FROM json_each(?))",
        )
        .bind(&list)
        .fetch_all(&mut *tx)
        .await?;
        for table in ["changes", "photo_links", "sync_states", "pins", "editor_holds"] {
            let column = match table {
                "photo_links" => "record_id",
                _ => "doc_id",
            };
            let sql = format!("DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&list).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM records WHERE id IN (SELECT value FROM json_each(?))")
            .bind(&list)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM documents WHERE id IN (SELECT value FROM json_each(?))")
            .bind(&list)
            .execute(&mut *tx)
            .await?;
        let now = now_ms();
        for id in ids {
            let project = project_of.get(id.as_str()).copied().filter(|p| !p.is_empty());
            sqlx::query(
                "INSERT INTO scope_dropped (doc_id, project_id) VALUES (?, ?) \
                 ON CONFLICT (doc_id) DO UPDATE SET project_id = excluded.project_id",
            )
            .bind(id)
            .bind(project)
            .execute(&mut *tx)
            .await?;
            if scope::group_of(id) == id {
                sqlx::query(
                    "INSERT INTO evicted (doc_id, project_id, evicted_at_ms) VALUES (?, ?, ?) \
                     ON CONFLICT (doc_id) DO UPDATE SET project_id = excluded.project_id, \
                     evicted_at_ms = excluded.evicted_at_ms",
                )
                .bind(id)
                .bind(project)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        // What came back since (fetched, listed again) or was evicted long ago is forgotten.
        sqlx::query("DELETE FROM evicted WHERE evicted_at_ms < ? OR doc_id IN (SELECT id FROM documents)")
            .bind(now - EVICTED_MEMORY_MS)
            .execute(&mut *tx)
            .await?;
        // Photos of this phone no record links any more (uploaded: a pending one keeps its record).
        let freed: Vec<String> = sqlx::query_scalar(
            "SELECT sha256 FROM photos WHERE sha256 IN (SELECT value FROM json_each(?)) \
             AND uploaded_at_ms IS NOT NULL AND sha256 NOT IN (SELECT sha256 FROM photo_links)",
        )
        .bind(json_ids(&linked))
        .fetch_all(&mut *tx)
        .await?;
        for table in ["photo_uploads", "photos"] {
            let sql = format!("DELETE FROM {table} WHERE sha256 IN (SELECT value FROM json_each(?))");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(json_ids(&freed)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        for id in ids {
            hot.docs.remove(id);
        }
        let docs = &hot.docs;
        hot.order.retain(|id| docs.contains_key(id));
        Ok(freed)
    }

    /// `record_open`, asked once per record in a plan.
    async fn record_open_cached(&self, id: &str, f: &Facts, cache: &mut HashMap<String, bool>) -> Result<bool> {
        if let Some(open) = cache.get(id) {
            return Ok(*open);
        }
        let open = self.record_open(id, f).await?;
        cache.insert(id.to_string(), open);
        Ok(open)
    }

    /// `scope::is_open` of a held record, from its companions as this phone holds them.
    async fn record_open(&self, id: &str, f: &Facts) -> Result<bool> {
        let approved_current = if f.kind == RecordKind::Observation {
            false
        } else {
            match documents::load(&self.pool, &Approval::document_id(id)).await? {
                Some(doc) => {
                    let approval = Approval::read(&doc.doc).map_err(|e| Error::document(id, e))?;
                    let heads: Vec<String> = f
                        .heads
                        .as_deref()
                        .unwrap_or_default()
                        .chunks(32)
                        .filter_map(|c| <[u8; 32]>::try_from(c).ok())
                        .map(|h| automerge::ChangeHash(h).to_string())
                        .collect();
                    // Heads not known: not provably the approved version, so open (kept).
                    !heads.is_empty() && approval.approves(&heads)
                }
                None => false,
            }
        };
        let follow_up: Option<FollowUpStatus> = if f.kind == RecordKind::Observation {
            match documents::load(&self.pool, &FollowUp::document_id(id)).await? {
                Some(doc) => Some(FollowUp::read(&doc.doc).map_err(|e| Error::document(id, e))?.status),
                None => None,
            }
        } else {
            None
        };
        Ok(scope::is_open(&Standing {
            kind: f.kind,
            voided: f.voided,
            in_conflict: f.in_conflict,
            approved_current,
            follow_up,
        }))
    }

    /// The person an observation's follow-up assigns it to (`assignee_person`), if any.
    async fn assignee(&self, id: &str) -> Result<Option<String>> {
        let Some(doc) = documents::load(&self.pool, &FollowUp::document_id(id)).await? else { return Ok(None) };
        Ok(match doc.doc.get(automerge::ROOT, "assignee_person") {
            Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
                automerge::ScalarValue::Str(p) if !p.is_empty() => Some(p.to_string()),
                _ => None,
            },
            _ => None,
        })
    }

    /// Whether this phone wrote any change of document `id` (its actor is this store's).
    async fn edited_here(&self, id: &str) -> Result<bool> {
        let Some(mut doc) = documents::load(&self.pool, id).await? else { return Ok(false) };
        let actor = self.actor.clone();
        Ok(doc.doc.get_changes(&[]).iter().any(|c| *c.actor_id() == actor))
    }
}

/// `ids` as a JSON array, for `json_each` (one statement for any number of ids).
fn json_ids(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Which server and token a fetch goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// The server and device token given (the single-token `sync`'s scope).
    Token { base_url: String, token: String },
    /// The paired server with a project's token (`sync_all`'s scopes): `project`, or the one whose
    /// reference data lists the site fetched, or each paired project in turn until one answers.
    Paired { project: Option<String> },
}

impl Store {
    /// One sync carrying `fetch` (docs/sync-scopes.md §5): the server offers the records asked for
    /// and their companions whatever the scope; they are pinned for `PIN_MS`. Returns the sync's
    /// report and the records' ids the server found. Bad input is refused before going online.
    pub async fn fetch(
        &self,
        remote: &Remote,
        fetch: Vec<Fetch>,
        cancel: &super::Cancel,
    ) -> Result<(super::SyncReport, Vec<String>)> {
        check_fetch(&fetch)?;
        let ids = |r: &super::SyncReport| -> Vec<String> {
            let mut ids: Vec<String> = r.fetched.iter().flat_map(|f| f.ids.iter().cloned()).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        match remote {
            Remote::Token { base_url, token } => {
                let r = self.sync_scoped(base_url, token, None, fetch, |_, _, _| Ok(()), cancel).await?;
                let found = ids(&r);
                Ok((r, found))
            }
            Remote::Paired { project } => {
                let (server, tokens) = self.tokens().await?;
                let site = fetch.iter().find_map(|f| match f {
                    Fetch::Days { site, .. } => Some(site.as_str()),
                    Fetch::Record { .. } => None,
                });
                let mut order: Vec<&(String, String)> = Vec::new();
                for t in &tokens {
                    let wanted = match (project, site) {
                        (Some(p), _) => *p == t.0,
                        (None, Some(site)) => {
                            self.reference_data(&t.0).await?.is_some_and(|r| r.site_time_zone(site).is_some())
                        }
                        (None, None) => true,
                    };
                    if wanted {
                        order.push(t);
                    }
                }
                if order.is_empty() && project.is_none() {
                    order = tokens.iter().collect();
                }
                let mut last = None;
                for (p, token) in order {
                    let r = self.sync_scoped(&server, token, Some(p), fetch.clone(), |_, _, _| Ok(()), cancel).await?;
                    let found = ids(&r);
                    if !found.is_empty() {
                        return Ok((r, found));
                    }
                    last = Some((r, found));
                }
                last.ok_or_else(|| Error::NotFound {
                    what: "paired project",
                    id: project.clone().unwrap_or_else(|| "this phone".into()),
                })
            }
        }
    }

    /// "Copy from an earlier day": a new sheet for `work_date` from the site's sheet of `day`
    /// (`start_sheet_from`). A day the phone no longer holds (outside its scope's site window) is
    /// fetched first; offline that is `Error::DayNotOnPhone`. `None`: the site has no sheet that day.
    pub async fn copy_sheet_from_day(
        &self,
        project: &str,
        site: &str,
        day: NaiveDate,
        work_date: NaiveDate,
        remote: &Remote,
        cancel: &super::Cancel,
    ) -> Result<Option<record_schema::LabourSheet>> {
        if let Some(id) = self.sheet_on(project, site, day).await? {
            return self.start_sheet_from(&id, work_date).await.map(Some);
        }
        let scope_key = match remote {
            Remote::Token { .. } => None,
            Remote::Paired { .. } => Some(project),
        };
        if !self.day_may_be_evicted(scope_key, site, day).await? {
            return Ok(None);
        }
        let remote = match remote {
            Remote::Paired { project: None } => Remote::Paired { project: Some(project.to_string()) },
            other => other.clone(),
        };
        let days = vec![Fetch::Days { site: site.to_string(), from: day.to_string(), to: day.to_string() }];
        match self.fetch(&remote, days, cancel).await {
            Err(Error::Offline(_)) => {
                return Err(Error::DayNotOnPhone { site_id: site.to_string(), date: day.to_string() });
            }
            other => other?,
        };
        match self.sheet_on(project, site, day).await? {
            Some(id) => self.start_sheet_from(&id, work_date).await.map(Some),
            None => Ok(None),
        }
    }
}
