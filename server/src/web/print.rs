//! Print views: a 点工单 (labour sheet) and an approval, each on its own A4 page with a signature
//! block (施工员 / 项目经理 / 日期), in the page language, without navigation or forms
//! (`print_sheet.html`, `print_approval.html`; `@media print` rules in `static/print.css`).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use record_schema::{Effort, Record, TimeUnit};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::format::{grouped, money};
use super::i18n::Lang;
use super::record::{category_words, rate_money};
use super::session::WebSession;
use super::{Chrome, WebError, render};
use crate::ledger::LedgerError;
use crate::ledger::store::{self, DecisionRow};
use crate::reference::ReferenceSet;
use crate::state::AppState;

/// One crew line as printed.
pub struct PrintLine {
    pub no: usize,
    pub trade: String,
    pub crew: String,
    pub workers: String,
    pub headcount: i64,
    pub effort: String,
    pub worker_days: String,
    pub rate: String,
    pub amount: String,
    pub cost_code: String,
}

/// The head of a printed record: what a filing clerk looks for first.
pub struct PrintHead {
    pub kind: &'static str,
    pub project: String,
    pub site: String,
    pub date: String,
    pub foreman: String,
    pub note: String,
    pub voided: String,
}

/// Lines and totals of a record (a labour sheet's crews; an expense or progress report has none,
/// only its total).
pub struct PrintBody {
    pub lines: Vec<PrintLine>,
    pub headcount: i64,
    pub worker_days: String,
    pub total: String,
    /// (label, value) of an expense's or a progress report's own fields.
    pub facts: Vec<(String, String)>,
}

pub struct PrintDecision {
    pub status: &'static str,
    pub by: String,
    pub when: String,
    pub comment: String,
    pub version: String,
    pub superseded: bool,
}

#[derive(Template)]
#[template(path = "print_sheet.html")]
struct SheetPrint {
    c: Chrome,
    id: String,
    head: PrintHead,
    body: PrintBody,
    decisions: Vec<PrintDecision>,
    version: String,
    printed: String,
    /// An observation's follow-up (printed instead of decisions: observations are not approved).
    follow_up: Option<super::observations::Panel>,
}

#[derive(Template)]
#[template(path = "print_approval.html")]
struct ApprovalPrint {
    c: Chrome,
    id: String,
    head: PrintHead,
    body: PrintBody,
    decision: Option<PrintDecision>,
    printed: String,
}

fn status_key(s: &str) -> &'static str {
    match s {
        "approved" => "approved",
        "rejected" => "rejected",
        _ => "pending",
    }
}

/// `a1b2c3d4, e5f6a7b8`: the first 8 digits of each head.
fn short(heads: &[String]) -> String {
    heads.iter().map(|h| h.get(..8).unwrap_or(h)).collect::<Vec<_>>().join(", ")
}

fn quantity(d: Decimal) -> String {
    grouped(d.round_dp(2).normalize())
}

/// A worker's name, with the roster's id when the phone picked the worker from the roster.
fn worker_words(w: &record_schema::Worker, lang: Lang) -> String {
    match &w.worker_id {
        Some(id) => format!(
            "{}{}{}{}",
            w.name,
            lang.t("rec_paren_open"),
            lang.t("rec_adv_roster").replace("{id}", id),
            lang.t("rec_paren_close")
        ),
        None => w.name.clone(),
    }
}

fn head_of(record: &Record, set: &ReferenceSet, lang: Lang) -> PrintHead {
    let h = record.header();
    let site = set.sites.iter().find(|s| s.id == h.site_id).map_or_else(|| h.site_id.clone(), |s| s.name.clone());
    let (kind, date, note) = match record {
        Record::LabourSheet(s) => ("print_sheet_title", s.work_date, s.note.clone()),
        Record::Expense(e) => ("expense", e.date, e.note.clone()),
        Record::ProgressReport(p) => ("progress_report", p.date, p.caption.clone()),
        Record::WageAdvance(a) => ("wage_advance", a.date, a.note.clone()),
        Record::Observation(o) => ("observation", o.date, o.description.clone()),
        Record::DayLog(l) => ("day_log", l.date, l.notes.clone()),
    };
    PrintHead {
        kind,
        project: set.project.name.clone(),
        site,
        date: date.to_string(),
        foreman: h.author.clone(),
        note: note.unwrap_or_default(),
        voided: h.voided.as_ref().map(|v| format!("{} {}", lang.t("print_voided"), v.reason)).unwrap_or_default(),
    }
}

fn body_of(record: &Record, set: &ReferenceSet, lang: Lang) -> PrintBody {
    let code = |c: &str| match set.cost_codes.iter().find(|k| k.code == c) {
        Some(k) => format!("{} {}", k.code, k.name),
        None => c.to_string(),
    };
    match record {
        Record::LabourSheet(s) => {
            let currency = s.currency;
            let mut lines: Vec<&record_schema::CrewLine> = s.lines.iter().collect();
            lines.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
            let (mut heads, mut days, mut total) = (0_i64, Decimal::ZERO, Decimal::ZERO);
            let lines = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    // Each line's amount rounded once, as the ledgers post it; the total adds those.
                    let amount = currency.round(l.cost());
                    // Worker-days as the ledger counts them (hours ÷ the line's hours per day).
                    let (_, wd) = l.person_time();
                    heads += l.headcount;
                    days += wd;
                    total += amount;
                    let one = l.effort.quantity() == Decimal::ONE;
                    let unit = match (l.effort, one) {
                        (Effort::Days(_), true) => "rec_unit_day",
                        (Effort::Days(_), false) => "rec_unit_days",
                        (Effort::Hours(_), true) => "rec_unit_hour",
                        (Effort::Hours(_), false) => "rec_unit_hours",
                    };
                    let effort = format!("{}{}", l.effort.quantity().normalize(), lang.t(unit));
                    // What the rate pays for, which may differ from what was counted (hours at a day
                    // rate): then the hours in a day's pay are printed beside it.
                    let per = match l.rate_unit {
                        TimeUnit::Day => "rec_per_day",
                        TimeUnit::Hour => "rec_per_hour",
                    };
                    let default_day = Decimal::from(record_schema::labour::HOURS_PER_DAY);
                    let hours = if l.rate_unit != l.effort.unit() || l.hours_per_day != default_day {
                        lang.t("rec_hours_per_day").replace("{h}", &l.hours_per_day.normalize().to_string())
                    } else {
                        String::new()
                    };
                    PrintLine {
                        no: i + 1,
                        trade: l.trade.clone(),
                        crew: l.crew.clone().unwrap_or_default(),
                        workers: l
                            .workers
                            .iter()
                            .map(|w| w.name.as_str())
                            .collect::<Vec<_>>()
                            .join(lang.t("rec_list_sep")),
                        headcount: l.headcount,
                        effort,
                        worker_days: quantity(wd),
                        rate: format!("{}{}{hours}", rate_money(l.rate, currency, lang), lang.t(per)),
                        amount: money(amount, currency, lang),
                        cost_code: code(&l.cost_code),
                    }
                })
                .collect();
            PrintBody {
                lines,
                headcount: heads,
                worker_days: quantity(days),
                total: money(total, currency, lang),
                facts: Vec::new(),
            }
        }
        Record::Expense(e) => PrintBody {
            lines: Vec::new(),
            headcount: 0,
            worker_days: String::new(),
            total: money(e.amount, e.currency, lang),
            facts: vec![
                (lang.t("category").to_string(), category_words(&e.category, set.category_name(&e.category), lang)),
                (lang.t("vendor").to_string(), e.vendor.clone().unwrap_or_default()),
                (lang.t("cost_code").to_string(), code(&e.cost_code)),
            ],
        },
        Record::WageAdvance(a) => PrintBody {
            lines: Vec::new(),
            headcount: 0,
            worker_days: String::new(),
            total: money(a.amount, a.currency, lang),
            facts: vec![
                (lang.t("rec_adv_worker").to_string(), worker_words(&a.worker, lang)),
                (lang.t("rec_f_crew").to_string(), a.crew.clone().unwrap_or_default()),
                (lang.t("rec_adv_reason").to_string(), a.reason.clone()),
            ],
        },
        Record::Observation(o) => PrintBody {
            lines: Vec::new(),
            headcount: 0,
            worker_days: String::new(),
            total: String::new(),
            facts: vec![
                (lang.t("obs_title").to_string(), o.title.clone()),
                (
                    lang.t("obs_category").to_string(),
                    lang.t(crate::web::record::observation_category_key(o.category)).to_string(),
                ),
                (lang.t("obs_severity").to_string(), lang.t(crate::web::record::severity_key(o.severity)).to_string()),
                (lang.t("obs_place").to_string(), o.place.clone().unwrap_or_default()),
            ],
        },
        Record::DayLog(l) => PrintBody {
            lines: Vec::new(),
            headcount: 0,
            worker_days: String::new(),
            total: String::new(),
            facts: crate::web::record::day_log_facts(l, lang),
        },
        Record::ProgressReport(p) => PrintBody {
            lines: Vec::new(),
            headcount: 0,
            worker_days: String::new(),
            total: String::new(),
            facts: vec![(
                lang.t("activity").to_string(),
                set.activities
                    .iter()
                    .find(|a| a.id == p.activity)
                    .map_or_else(|| p.activity.clone(), |a| a.name.clone()),
            )],
        },
    }
}

fn decision_of(d: &DecisionRow, standing: Option<&str>, tz: &str, lang: Lang) -> PrintDecision {
    let role = match d.decided_by_role.as_str() {
        "admin" => lang.t("role_admin"),
        "foreman" => lang.t("role_foreman"),
        _ => lang.t("role_supervisor"),
    };
    PrintDecision {
        status: status_key(&d.status),
        by: format!("{} ({role})", d.decided_by_name),
        when: super::history::when(d.decided_at_ms, tz, lang),
        comment: d.comment.clone(),
        version: short(&d.heads),
        superseded: d.status == "approved" && standing.is_some_and(|s| s != d.id),
    }
}

/// The record (current version), its decisions and the project's reference data.
async fn load(
    state: &AppState,
    s: &WebSession,
    id: &str,
) -> Result<(automerge::AutoCommit, store::History, ReferenceSet), WebError> {
    let stored = store::load_record(&state.db, &state.cache, &s.grant.project_id, id).await?;
    let doc = stored.doc.clone();
    state.cache.put(stored);
    let history = store::history(&state.db, id).await.map_err(LedgerError::from)?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    Ok((doc, history, set))
}

fn now_in(tz: &str, lang: Lang) -> String {
    super::history::when(record_schema::now_ms(), tz, lang)
}

/// `GET /web/records/{id}/print`: the record as it stands, with every decision and a signature block.
pub async fn sheet(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Html<String>, WebError> {
    let (mut doc, history, set) = load(&state, &s, &id).await?;
    let record = Record::read(&doc).map_err(LedgerError::from)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "", "print_sheet_title");
    let lang = c.lang;
    let tz = record.header().time_zone.clone();
    let standing = history.standing().map(|d| d.id.clone());
    let follow_up = match &record {
        Record::Observation(_) => {
            let json = crate::ledger::view::record_json(&record);
            super::observations::panel(&state, &s.grant.project_id, &id, &json, &tz, lang, None).await?
        }
        _ => None,
    };
    let page = SheetPrint {
        follow_up,
        id: id.clone(),
        head: head_of(&record, &set, lang),
        body: body_of(&record, &set, lang),
        decisions: history.decisions.iter().map(|d| decision_of(d, standing.as_deref(), &tz, lang)).collect(),
        version: short(&store::heads_hex(&doc.get_heads())),
        printed: now_in(&tz, lang),
        c,
    };
    render(&page)
}

#[derive(Debug, Deserialize, Default)]
pub struct ApprovalQuery {
    /// The decision's number in the record's sequence (1 = first); the latest when absent.
    seq: Option<i64>,
}

/// `GET /web/records/{id}/print/approval?seq=`: one decision with the version it decided (its
/// lines and totals as they were), who, when, comment; a signature block.
pub async fn approval(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ApprovalQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let seq = q.ok().and_then(|Query(q)| q.seq);
    let (mut doc, history, set) = load(&state, &s, &id).await?;
    let chosen =
        match seq {
            Some(n) => {
                Some(history.decisions.iter().find(|d| d.record_seq == n).ok_or_else(|| {
                    crate::error::ApiError::not_found("seq", format!("no decision {n} on this record"))
                })?)
            }
            None => history.latest(),
        };
    // The figures of the version decided (exactly what was approved), else the current ones.
    let version = match chosen {
        Some(d) => store::version_at(&mut doc, &d.heads)?,
        None => doc,
    };
    let record = Record::read(&version).map_err(LedgerError::from)?;
    let mut c = Chrome::new(Some(&s), &headers, &uri, "", "print_approval_title");
    let lang = c.lang;
    c.title = format!("{} · {}", lang.t("print_approval_title"), record.header().author);
    let tz = record.header().time_zone.clone();
    let standing = history.standing().map(|d| d.id.clone());
    let page = ApprovalPrint {
        id: id.clone(),
        head: head_of(&record, &set, lang),
        body: body_of(&record, &set, lang),
        decision: chosen.map(|d| decision_of(d, standing.as_deref(), &tz, lang)),
        printed: now_in(&tz, lang),
        c,
    };
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(effort: Effort, rate: &str, rate_unit: TimeUnit, hours_per_day: &str) -> record_schema::CrewLine {
        record_schema::CrewLine {
            id: "l1".into(),
            position: 0,
            trade: "普工".into(),
            crew: None,
            headcount: 1,
            effort,
            rate: rate.parse().expect("rate"),
            rate_unit,
            hours_per_day: hours_per_day.parse().expect("hours"),
            cost_code: "05-04".into(),
            activity: None,
            note: None,
            workers: vec![],
        }
    }

    fn printed(lines: Vec<record_schema::CrewLine>, lang: Lang) -> PrintBody {
        let record = Record::LabourSheet(record_schema::LabourSheet {
            header: record_schema::record::RecordHeader {
                id: "r1".into(),
                project_id: "P1".into(),
                site_id: "S1".into(),
                time_zone: "Asia/Shanghai".into(),
                author: "李工".into(),
                created_at_ms: 0,
                voided: None,
            },
            work_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            currency: record_schema::Currency::Cny,
            lines,
            note: None,
        });
        body_of(&record, &ReferenceSet::empty("P1"), lang)
    }

    #[test]
    fn hours_at_a_day_rate_print_as_such() {
        let b = printed(vec![line(Effort::Hours(Decimal::new(95, 1)), "365.00", TimeUnit::Day, "8")], Lang::ZhCn);
        let l = &b.lines[0];
        assert_eq!((l.effort.as_str(), l.rate.as_str()), ("9.5小时", "¥365.00/工日（每工日8小时）"));
        assert_eq!((l.worker_days.as_str(), l.amount.as_str()), ("1.19", "¥433.44"));
        let b = printed(vec![line(Effort::Hours(Decimal::new(95, 1)), "45.625", TimeUnit::Hour, "8")], Lang::En);
        assert_eq!((b.lines[0].rate.as_str(), b.total.as_str()), ("CN¥45.625/hour", "CN¥433.44"));
        // Worker-days by the line's own hours per day: 4 h of a 7.5-hour day.
        let b = printed(vec![line(Effort::Hours(Decimal::from(15)), "300", TimeUnit::Day, "7.5")], Lang::En);
        assert_eq!((b.worker_days.as_str(), b.total.as_str()), ("2", "CN¥600.00"));
        assert_eq!(short(&["a1b2c3d4e5".into(), "ff".into()]), "a1b2c3d4, ff");
    }
}
