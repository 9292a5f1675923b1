//! The day's records read into the model: one site, one date, every record of the day that is not
//! voided (labour sheets, progress reports, expenses and day logs from the record index;
//! observations from the observation index), each read from its document at its current heads,
//! with its state from the decisions on it and names from the reference data. Figures are the
//! ledger's: each labour line as `ledger::postings` posts it (cost rounded once per line; 工日 and
//! hours in the ledger's millionths), so the report's totals are the labour report's.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use record_schema::{PhotoRef, Progress, Record};
use rust_decimal::Decimal;

use super::DailyReportError;
use super::model::{
    Amount, DailyReport, DelayRow, ExpenseRow, LabourRow, LabourTotal, NoteRow, ObservationRow, PhotoItem,
    ProgressItem, RecordState, SourceRecord, VisitorRow, Weather,
};
use crate::db::{Db, on_pool};
use crate::ledger::postings::{self, from_micro, from_minor, to_micro, to_minor};
use crate::ledger::store::{heads_hex, heads_text};
use crate::reference::ReferenceSet;
use crate::reports::labour::collation_key;
use crate::state::AppState;

/// SQL (a string literal): the record index's kinds a daily report holds, as an `IN` list
/// (observations come from their own index; wage advances stay out: they are money handed over,
/// not the day's work).
macro_rules! index_kinds {
    () => {
        "('labour_sheet', 'progress_report', 'expense', 'day_log')"
    };
}
pub(crate) use index_kinds;

/// Brings the record index and the observation index of `project` up to date with the documents,
/// so the day's records and their states are current. Only documents that changed (budget 0): a
/// row of migration 0012's backlog has its place, heads and decision exact already, and the report
/// reads the documents themselves; the backlog is the background re-index's and the queue's.
pub async fn refresh(state: &AppState, project: &str) -> Result<(), DailyReportError> {
    crate::ledger::pending::refresh_index_bounded(&state.db, &state.cache, project, 0).await?;
    crate::observations::refresh(&state.db, Some(&state.cache), project).await?;
    Ok(())
}

/// The report of `site` on `date` as the records stand now (version 0: `store` numbers it), or
/// `None` when the day has no records. Call `refresh` first.
pub async fn assemble(
    state: &AppState,
    project: &str,
    site: &str,
    date: NaiveDate,
) -> Result<Option<DailyReport>, DailyReportError> {
    let db = &state.db;
    let day = date.to_string();
    let indexed: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(concat!(
        "SELECT record_id FROM record_index WHERE project_id = $1 AND site_id = $2 AND record_date = $3 \
         AND voided = 0 AND damage IS NULL AND kind IN ",
        index_kinds!(),
        " ORDER BY record_id"
    ))
    .bind(project)
    .bind(site)
    .bind(&day)
    .fetch_all(p)
    .await?);
    let observed: Vec<(String, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT record_id, status FROM observations WHERE project_id = $1 AND site_id = $2 AND obs_date = $3 \
         AND voided = 0 ORDER BY record_id"
    )
    .bind(project)
    .bind(site)
    .bind(&day)
    .fetch_all(p)
    .await?);
    let follow_ups: HashMap<String, String> = observed.iter().cloned().collect();
    let mut read: Vec<Read> = Vec::new();
    for id in indexed.iter().chain(observed.iter().map(|(id, _)| id)) {
        if let Some(r) = read_record(state, project, id).await? {
            // The document may have moved since it was indexed (another day, voided): it is then
            // that day's, or nobody's.
            let h = r.record.header();
            if h.site_id == site && r.record.date() == date && h.voided.is_none() {
                read.push(r);
            }
        }
    }
    if read.is_empty() {
        return Ok(None);
    }
    read.sort_by(|a, b| {
        let (ha, hb) = (a.record.header(), b.record.header());
        (ha.created_at_ms, &ha.id).cmp(&(hb.created_at_ms, &hb.id))
    });
    let states = states_of(db, &read).await?;
    let uploaded = uploaded_photos(db, project, &read).await?;
    let set = crate::reference::store::load(db, project).await?;
    Ok(Some(build(project, site, date, &set, &read, &states, &follow_ups, &uploaded)))
}

/// One record of the day as read from its document.
pub struct Read {
    pub record: Record,
    /// Sorted hex heads of the version read.
    pub heads: Vec<String>,
    pub doc_version: i64,
    pub conflicts: i64,
}

/// Reads record `id` of `project` at its current version; `None` when it is gone, another
/// project's, or does not read (the queue lists it as damaged).
async fn read_record(state: &AppState, project: &str, id: &str) -> Result<Option<Read>, DailyReportError> {
    let mut stored = match crate::docstore::load_hot(&state.db, &state.cache, id).await {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(None),
        Err(e @ crate::docstore::DocStoreError::Damaged { .. }) => {
            tracing::warn!(doc = %id, error = %e, "daily report: a record of the day does not load; left out");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if stored.project_id != project {
        state.cache.put(stored);
        return Ok(None);
    }
    let heads = heads_hex(&stored.doc.get_heads());
    let record = Record::read(&stored.doc);
    let conflicts = record_schema::conflicts::find_conflicts(&stored.doc).map(|c| c.len() as i64).unwrap_or(0);
    let doc_version = stored.version;
    state.cache.put(stored);
    match record {
        Ok(record) => Ok(Some(Read { record, heads, doc_version, conflicts })),
        Err(e) => {
            tracing::warn!(doc = %id, error = %e, "daily report: a record of the day does not read; left out");
            Ok(None)
        }
    }
}

/// The state of each record at the heads read, as the queue derives it: the latest decision that
/// is an approval or of these heads decides (of these heads: approved or rejected; an approval of
/// other heads: changed since approval); none: pending. Observations are followed up instead.
async fn states_of(db: &Db, read: &[Read]) -> Result<HashMap<String, RecordState>, DailyReportError> {
    let ids: Vec<&str> = read
        .iter()
        .filter(|r| !matches!(r.record, Record::Observation(_)))
        .map(|r| r.record.header().id.as_str())
        .collect();
    let mut decisions: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT record_id, status, heads FROM approval_decisions WHERE record_id IN ({}) \
             ORDER BY record_id, record_seq DESC",
            marks.join(", ")
        );
        let rows: Vec<(String, String, String)> = on_pool!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(p).await?
        });
        for (id, status, heads) in rows {
            decisions.entry(id).or_default().push((status, heads));
        }
    }
    Ok(read
        .iter()
        .map(|r| {
            let id = r.record.header().id.clone();
            let state = match r.record {
                Record::Observation(_) => RecordState::FollowUp,
                _ => state_at(decisions.get(&id).map_or(&[][..], Vec::as_slice), &heads_text(&r.heads)),
            };
            (id, state)
        })
        .collect())
}

/// A record's state at `heads` from its decisions, newest first (status, heads text).
pub fn state_at(decisions: &[(String, String)], heads: &str) -> RecordState {
    match decisions.iter().find(|(status, h)| status == "approved" || h == heads) {
        None => RecordState::Pending,
        Some((_, h)) if h != heads => RecordState::ChangedSinceApproval,
        Some((status, _)) if status == "approved" => RecordState::Approved,
        Some(_) => RecordState::Rejected,
    }
}

/// The photos of the day whose originals reached the server for this project (the thumbnail the
/// PDF draws is made when the original arrives).
async fn uploaded_photos(db: &Db, project: &str, read: &[Read]) -> Result<HashSet<String>, DailyReportError> {
    let mut shas: Vec<&str> = read
        .iter()
        .filter_map(|r| r.record.photos())
        .flat_map(|(_, photos)| photos.iter().map(|p| p.sha256.as_str()))
        .collect();
    shas.sort_unstable();
    shas.dedup();
    let mut out = HashSet::new();
    for chunk in shas.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql =
            format!("SELECT sha256 FROM blob_projects WHERE project_id = $1 AND sha256 IN ({})", marks.join(", "));
        let found: Vec<String> = on_pool!(db, |p| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(project);
            for s in chunk {
                q = q.bind(*s);
            }
            q.fetch_all(p).await?
        });
        out.extend(found);
    }
    Ok(out)
}

fn photo_items(photos: &[PhotoRef], caption: Option<&str>, uploaded: &HashSet<String>) -> Vec<PhotoItem> {
    photos
        .iter()
        .map(|p| PhotoItem {
            sha256: p.sha256.clone(),
            thumbnail_sha256: p.thumbnail_sha256.clone(),
            captured_at_ms: p.captured_at_ms,
            latitude: p.location.as_ref().map(|g| g.latitude),
            longitude: p.location.as_ref().map(|g| g.longitude),
            caption: caption.map(str::to_string),
            uploaded: uploaded.contains(&p.sha256),
        })
        .collect()
}

/// Sums in the ledger's integers (millionths, minor units), as the labour report sums postings.
#[derive(Default)]
struct Sums {
    headcount: i64,
    days_micro: i64,
    hours_micro: i64,
    /// Minor units per currency code.
    cost_minor: BTreeMap<String, i64>,
}

/// The model from the records read (`read` in creation order).
#[allow(clippy::too_many_arguments)]
fn build(
    project: &str,
    site: &str,
    date: NaiveDate,
    set: &ReferenceSet,
    read: &[Read],
    states: &HashMap<String, RecordState>,
    follow_ups: &HashMap<String, String>,
    uploaded: &HashSet<String>,
) -> DailyReport {
    let site_ref = set.sites.iter().find(|s| s.id == site);
    let time_zone = site_ref
        .map(|s| s.time_zone.clone())
        .or_else(|| read.first().map(|r| r.record.header().time_zone.clone()))
        .unwrap_or_else(|| "UTC".into());
    let code_name = |code: &str| set.cost_codes.iter().find(|c| c.code == code).map(|c| c.name.clone());
    let activity_name = |id: &str| set.activities.iter().find(|a| a.id == id).map(|a| a.name.clone());
    let category_name = |key: &str| set.expense_categories.iter().find(|c| c.code == key).map(|c| c.name.clone());

    let mut foremen: Vec<String> = Vec::new();
    let mut weather: Option<Weather> = None;
    let mut labour: Vec<(LabourKey, LabourRow)> = Vec::new();
    let mut sums = Sums::default();
    let mut progress: Vec<ProgressItem> = Vec::new();
    let mut expenses: Vec<ExpenseRow> = Vec::new();
    let mut expense_totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut observations: Vec<ObservationRow> = Vec::new();
    let mut visitors: Vec<VisitorRow> = Vec::new();
    let mut delays: Vec<DelayRow> = Vec::new();
    let mut notes: Vec<NoteRow> = Vec::new();
    let mut sources: Vec<SourceRecord> = Vec::new();

    for r in read {
        let h = r.record.header();
        let state = states.get(&h.id).copied().unwrap_or(RecordState::Pending);
        if !foremen.contains(&h.author) {
            foremen.push(h.author.clone());
        }
        sources.push(SourceRecord {
            record_id: h.id.clone(),
            kind: r.record.kind().as_str().to_string(),
            author: h.author.clone(),
            heads: r.heads.clone(),
            doc_version: r.doc_version,
            state,
            conflicts: r.conflicts,
        });
        match &r.record {
            Record::LabourSheet(s) => {
                // One posting per crew line, in the lines' order (`postings` maps them one to one).
                for (i, (line, p)) in s.lines.iter().zip(postings::postings(&r.record)).enumerate() {
                    let days = to_micro(p.person_days).unwrap_or_default();
                    let hours = to_micro(p.person_hours).unwrap_or_default();
                    sums.headcount += p.headcount;
                    sums.days_micro += days;
                    sums.hours_micro += hours;
                    *sums.cost_minor.entry(s.currency.code().to_string()).or_default() +=
                        to_minor(p.amount, s.currency).unwrap_or_default();
                    let key = LabourKey {
                        trade: collation_key(&line.trade),
                        crew: line.crew.as_deref().map(collation_key),
                        record: h.id.clone(),
                        position: (line.position, i),
                    };
                    labour.push((
                        key,
                        LabourRow {
                            record_id: h.id.clone(),
                            state,
                            trade_id: line.trade.clone(),
                            // Trades are named by their name in the reference data.
                            trade_name: set
                                .trades
                                .iter()
                                .find(|t| t.name == line.trade)
                                .map_or_else(|| line.trade.clone(), |t| t.name.clone()),
                            crew: line.crew.clone(),
                            headcount: p.headcount,
                            man_days: from_micro(days),
                            hours: from_micro(hours),
                            cost: p.amount,
                            currency: s.currency.code().to_string(),
                            cost_code: line.cost_code.clone(),
                            cost_code_name: code_name(&line.cost_code).unwrap_or_else(|| line.cost_code.clone()),
                            activity_name: line
                                .activity
                                .as_deref()
                                .map(|a| activity_name(a).unwrap_or_else(|| a.to_string())),
                            workers: line.workers.iter().map(|w| w.name.clone()).collect(),
                        },
                    ));
                }
                if let Some(n) = s.note.as_deref().filter(|n| !n.trim().is_empty()) {
                    notes.push(NoteRow { author: h.author.clone(), text: n.to_string() });
                }
            }
            Record::ProgressReport(p) => {
                let (percent, quantity, unit) = match &p.progress {
                    Progress::Percent(x) => (Some(*x), None, None),
                    Progress::Quantity { installed, unit } => (None, Some(*installed), Some(unit.clone())),
                };
                progress.push(ProgressItem {
                    record_id: h.id.clone(),
                    state,
                    activity_id: p.activity.clone(),
                    activity_name: activity_name(&p.activity).unwrap_or_else(|| p.activity.clone()),
                    percent,
                    quantity,
                    unit,
                    caption: p.caption.clone(),
                    author: h.author.clone(),
                    photos: photo_items(&p.photos, p.caption.as_deref(), uploaded),
                });
            }
            Record::Expense(e) => {
                let amount = e.currency.round(e.amount);
                *expense_totals.entry(e.currency.code().to_string()).or_default() += amount;
                expenses.push(ExpenseRow {
                    record_id: h.id.clone(),
                    state,
                    category: e.category.clone(),
                    category_name: category_name(&e.category).unwrap_or_else(|| e.category.clone()),
                    vendor: e.vendor.clone(),
                    cost_code: e.cost_code.clone(),
                    amount,
                    currency: e.currency.code().to_string(),
                    note: e.note.clone(),
                    receipts: photo_items(&e.receipts, e.vendor.as_deref().or(e.note.as_deref()), uploaded),
                });
            }
            Record::Observation(o) => observations.push(ObservationRow {
                record_id: h.id.clone(),
                state,
                category: o.category.as_str().to_string(),
                severity: o.severity.as_str().to_string(),
                title: o.title.clone(),
                description: o.description.clone(),
                place: o.place.clone(),
                follow_up: follow_ups.get(&h.id).cloned().unwrap_or_else(|| "open".into()),
                photos: photo_items(&o.photos, Some(&o.title), uploaded),
            }),
            Record::DayLog(l) => {
                let has_weather = l.weather_am.is_some()
                    || l.weather_pm.is_some()
                    || l.temp_low_c.is_some()
                    || l.temp_high_c.is_some();
                // Two phones offline may each start a log: the first with any weather gives it.
                if weather.is_none() && has_weather {
                    weather = Some(Weather {
                        am: l.weather_am.map(|w| w.as_str().to_string()),
                        pm: l.weather_pm.map(|w| w.as_str().to_string()),
                        low_c: l.temp_low_c,
                        high_c: l.temp_high_c,
                        record_id: h.id.clone(),
                    });
                }
                let mut vs: Vec<_> = l.visitors.iter().collect();
                vs.sort_by_key(|v| (v.position, v.id.clone()));
                visitors.extend(vs.into_iter().map(|v| VisitorRow {
                    name: v.name.clone(),
                    organisation: v.organisation.clone(),
                    purpose: v.purpose.clone(),
                }));
                let mut ds: Vec<_> = l.delays.iter().collect();
                ds.sort_by_key(|d| (d.position, d.id.clone()));
                delays.extend(ds.into_iter().map(|d| DelayRow {
                    cause: d.cause.as_str().to_string(),
                    hours: d.hours,
                    description: d.description.clone(),
                }));
                if let Some(n) = l.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                    notes.push(NoteRow { author: h.author.clone(), text: n.to_string() });
                }
            }
            // Not a kind of the day's report (the index query leaves it out).
            Record::WageAdvance(_) => {}
        }
    }
    labour.sort_by(|a, b| a.0.cmp(&b.0));
    progress.sort_by_cached_key(|p| (collation_key(&p.activity_name), p.record_id.clone()));
    sources.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    let labour_total = LabourTotal {
        headcount: sums.headcount,
        man_days: from_micro(sums.days_micro),
        hours: from_micro(sums.hours_micro),
        cost: sums
            .cost_minor
            .into_iter()
            .map(|(currency, minor)| Amount {
                amount: from_minor(minor, currency.parse().unwrap_or_default()),
                currency,
            })
            .collect(),
    };
    DailyReport {
        project_id: project.to_string(),
        project_name: set.project.name.clone(),
        site_id: site.to_string(),
        site_name: site_ref.map_or_else(|| site.to_string(), |s| s.name.clone()),
        date,
        time_zone,
        version: 0,
        generated_at_ms: record_schema::now_ms(),
        foremen,
        weather,
        labour: labour.into_iter().map(|(_, row)| row).collect(),
        labour_total,
        progress,
        expenses,
        expense_totals: expense_totals.into_iter().map(|(currency, amount)| Amount { currency, amount }).collect(),
        observations,
        visitors,
        delays,
        notes,
        sources,
    }
}

/// The order of labour rows: trade, then crew (none last), by their readings; then record and line.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct LabourKey {
    trade: crate::reports::labour::Collation,
    crew: Option<crate::reports::labour::Collation>,
    record: String,
    position: (i64, usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(status: &str, heads: &str) -> (String, String) {
        (status.to_string(), heads.to_string())
    }

    #[test]
    fn states_follow_the_queue() {
        assert_eq!(state_at(&[], "a"), RecordState::Pending);
        assert_eq!(state_at(&[d("approved", "a")], "a"), RecordState::Approved);
        assert_eq!(state_at(&[d("approved", "a")], "b"), RecordState::ChangedSinceApproval);
        assert_eq!(state_at(&[d("rejected", "a")], "a"), RecordState::Rejected);
        // Rejected at other heads, then edited: awaiting a decision again.
        assert_eq!(state_at(&[d("rejected", "a")], "b"), RecordState::Pending);
        // Newest first: rejected now at b after an approval at a.
        assert_eq!(state_at(&[d("rejected", "b"), d("approved", "a")], "b"), RecordState::Rejected);
        // Approved at b after a rejection at b.
        assert_eq!(state_at(&[d("approved", "b"), d("rejected", "b")], "b"), RecordState::Approved);
        // Rejected at b, then edited to c: the approval at a stands, changed since.
        assert_eq!(state_at(&[d("rejected", "b"), d("approved", "a")], "c"), RecordState::ChangedSinceApproval);
    }
}
