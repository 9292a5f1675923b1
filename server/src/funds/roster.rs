//! The real-name roster (实名制花名册) of a project, table `workers`: one worker added or changed
//! (marked left with the date), a CSV/XLSX roster imported (all rows or none), the list people read
//! (ID, card and phone numbers masked; full numbers are never stored: `super::masking`), and the
//! names foremen typed on approved labour lines that no roster entry carries ("proposed names"),
//! which the office confirms into roster entries.
//!
//! After every change the active roster (id, name, crew, trade) is published into the project's
//! reference document (`crate::reference::store::publish`), so phones can pick workers by id.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::error::{FundsError, FundsResult, RowProblem};
use super::masking::{self, CardNumber, HashKey, IdNumber, Phone};
use super::sheet::{self, Located};
use crate::cache::DocCache;
use crate::db::{BeginWrite, Db, is_unique_violation, on_pool};

/// Longest worker id (the office's number, `W0001`; it travels to phones and into URLs).
pub const MAX_ID_CHARS: usize = 32;
/// Longest name.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest crew, trade or bank text.
pub const MAX_TEXT_CHARS: usize = 100;
/// Largest day rate accepted (in the project currency).
pub const MAX_DAY_RATE: i64 = 100_000;
/// Decimals of a day rate.
pub const DAY_RATE_SCALE: u32 = 4;

/// Whether a worker is on site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Left,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Left => "left",
        }
    }

    /// `active`/`left`, or as a Chinese roster writes it (在场/在职/进场, 退场/离场/离职).
    pub fn parse(text: &str) -> Option<Status> {
        match text.trim().to_lowercase().as_str() {
            "active" | "在场" | "在职" | "进场" | "在岗" => Some(Status::Active),
            "left" | "退场" | "离场" | "离职" | "已退场" => Some(Status::Left),
            _ => None,
        }
    }
}

/// A roster entry as people read it: numbers masked only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Worker {
    pub id: String,
    pub name: String,
    pub id_masked: Option<String>,
    pub card_masked: Option<String>,
    pub bank: Option<String>,
    pub phone_masked: Option<String>,
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// Decimal text in the project currency.
    pub day_rate: Option<String>,
    /// `active` or `left`.
    pub status: String,
    pub joined_on: Option<String>,
    pub left_on: Option<String>,
    pub updated_at_ms: i64,
}

/// What a stored row also holds (the hashes), for matching; never serialized.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredWorker {
    #[sqlx(flatten)]
    worker: Worker,
    id_hash: Option<String>,
    card_hash: Option<String>,
}

const COLUMNS: &str = "id, name, id_masked, card_masked, bank, phone_masked, crew, trade, day_rate, status, \
                       joined_on, left_on, updated_at_ms";
const STORED_COLUMNS: &str = "id, name, id_masked, card_masked, bank, phone_masked, crew, trade, day_rate, status, \
                              joined_on, left_on, updated_at_ms, id_hash, card_hash";

/// A field of [`WorkerInput`] that may be left as it is: absent keeps the stored value, `null` or
/// `""` clears it, text sets it.
pub type Patch = Option<Option<String>>;

fn patch<'de, D: Deserializer<'de>>(d: D) -> Result<Patch, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A worker added (`create`) or changed (`update`), as text the way it is typed: the JSON body of
/// `POST`/`PUT /v1/funds/workers`, a screen's form, or a row of an imported roster. Full ID, card
/// and phone numbers are read here and only their hashes and masks are kept.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerInput {
    /// The office's number (`W0001`); on create, absent: the next free `W` number.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The 18-character resident ID number (check digit checked); only its mask is kept.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, example = "11010519491231002X")]
    pub id_number: Patch,
    /// The wage card's number; only its mask is kept.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, example = "6222020200112233445")]
    pub card_number: Patch,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub bank: Patch,
    /// An 11-digit mobile number; only its mask is kept.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, example = "13800138000")]
    pub phone: Patch,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub crew: Patch,
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub trade: Patch,
    /// Decimal text in the project currency (at most 4 decimals, up to 100,000).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, example = "350.00")]
    pub day_rate: Patch,
    /// `active` or `left` (`left` needs `left_on`; `active` clears it).
    #[serde(default)]
    pub status: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, format = Date)]
    pub joined_on: Patch,
    /// `YYYY-MM-DD` (with `status: left`).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>, format = Date)]
    pub left_on: Patch,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Changes(..)")
    }
}

/// A checked input: each `Some` is a change (inner `None` clears).
#[derive(Default, Clone)]
struct Changes {
    name: Option<String>,
    id: Option<Option<(String, String)>>,
    card: Option<Option<(String, String)>>,
    bank: Option<Option<String>>,
    phone: Option<Option<String>>,
    crew: Option<Option<String>>,
    trade: Option<Option<String>>,
    day_rate: Option<Option<String>>,
    status: Option<Status>,
    joined_on: Option<Option<String>>,
    left_on: Option<Option<String>>,
}

/// Problems found in an input, by field.
type FieldProblems = Vec<(&'static str, String)>;

fn clean(p: &Patch) -> Option<Option<&str>> {
    p.as_ref().map(|v| v.as_deref().map(str::trim).filter(|t| !t.is_empty()))
}

fn plain_text(field: &'static str, text: &str, max: usize, errs: &mut FieldProblems) -> Option<String> {
    if text.chars().count() > max {
        errs.push((field, format!("at most {max} characters")));
        None
    } else if text.chars().any(char::is_control) {
        errs.push((field, "control characters (line breaks, tabs) are not allowed".into()));
        None
    } else {
        Some(masking::scrub(text))
    }
}

/// A worker id: 1 to [`MAX_ID_CHARS`] letters, digits, `-`, `_` or `.`.
pub fn check_worker_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || id.chars().count() > MAX_ID_CHARS
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!("a worker id is 1 to {MAX_ID_CHARS} letters, digits, '-', '_' or '.' (e.g. W0001)"));
    }
    Ok(())
}

/// `YYYY-MM-DD`, a real date in 1900..=2100.
pub fn parse_date(field: &str, text: &str) -> FundsResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| FundsError::bad(field, "expected a date YYYY-MM-DD (years 1900 to 2100)"))
}

fn check(input: &WorkerInput, key: &HashKey) -> (Changes, FieldProblems) {
    let mut errs = FieldProblems::new();
    let mut c = Changes::default();
    if let Some(name) = input.name.as_deref().map(str::trim) {
        if name.is_empty() {
            errs.push(("name", "a name is required".into()));
        } else {
            c.name = plain_text("name", name, MAX_NAME_CHARS, &mut errs);
        }
    }
    if let Some(v) = clean(&input.id_number) {
        c.id = match v.map(IdNumber::parse).transpose() {
            Ok(id) => Some(id.map(|id| (key.id_hash(&id), id.masked()))),
            Err(e) => {
                errs.push(("id_number", e.0));
                None
            }
        };
    }
    if let Some(v) = clean(&input.card_number) {
        c.card = match v.map(CardNumber::parse).transpose() {
            Ok(card) => Some(card.map(|n| (key.card_hash(&n), n.masked()))),
            Err(e) => {
                errs.push(("card_number", e.0));
                None
            }
        };
    }
    if let Some(v) = clean(&input.phone) {
        c.phone = match v.map(Phone::parse).transpose() {
            Ok(p) => Some(p.map(|p| p.masked())),
            Err(e) => {
                errs.push(("phone", e.0));
                None
            }
        };
    }
    for (field, value, slot) in
        [("bank", &input.bank, &mut c.bank), ("crew", &input.crew, &mut c.crew), ("trade", &input.trade, &mut c.trade)]
    {
        if let Some(v) = clean(value) {
            *slot = match v {
                None => Some(None),
                Some(t) => plain_text(field, t, MAX_TEXT_CHARS, &mut errs).map(Some),
            };
        }
    }
    if let Some(v) = clean(&input.day_rate) {
        c.day_rate = match v {
            None => Some(None),
            Some(t) => match record_schema::money::parse_decimal("day_rate", t, DAY_RATE_SCALE) {
                Ok(d) if d >= Decimal::ZERO && d <= Decimal::from(MAX_DAY_RATE) => {
                    Some(Some(d.normalize().to_string()))
                }
                Ok(_) => {
                    errs.push(("day_rate", format!("a day rate is from 0 to {MAX_DAY_RATE}")));
                    None
                }
                Err(e) => {
                    errs.push(("day_rate", e.reason));
                    None
                }
            },
        };
    }
    if let Some(s) = input.status.as_deref() {
        match Status::parse(s) {
            Some(s) => c.status = Some(s),
            None => errs.push(("status", "expected active or left".into())),
        }
    }
    for (field, value, slot) in
        [("joined_on", &input.joined_on, &mut c.joined_on), ("left_on", &input.left_on, &mut c.left_on)]
    {
        if let Some(v) = clean(value) {
            *slot = match v.map(|t| parse_date(field, t)).transpose() {
                Ok(d) => Some(d.map(|d| d.to_string())),
                Err(e) => {
                    errs.push((field, e.to_string().split_once(": ").map(|(_, m)| m.to_string()).unwrap_or_default()));
                    None
                }
            };
        }
    }
    (c, errs)
}

/// The stored row after `c`; problems of the whole (status and dates) added to `errs`.
fn apply(mut w: StoredWorker, c: &Changes, errs: &mut FieldProblems) -> StoredWorker {
    if let Some(n) = &c.name {
        w.worker.name = n.clone();
    }
    if let Some(id) = &c.id {
        (w.id_hash, w.worker.id_masked) = id.clone().unzip();
    }
    if let Some(card) = &c.card {
        (w.card_hash, w.worker.card_masked) = card.clone().unzip();
    }
    let set = |slot: &mut Option<String>, v: &Option<Option<String>>| {
        if let Some(v) = v {
            *slot = v.clone();
        }
    };
    set(&mut w.worker.bank, &c.bank);
    set(&mut w.worker.phone_masked, &c.phone);
    set(&mut w.worker.crew, &c.crew);
    set(&mut w.worker.trade, &c.trade);
    set(&mut w.worker.day_rate, &c.day_rate);
    set(&mut w.worker.joined_on, &c.joined_on);
    set(&mut w.worker.left_on, &c.left_on);
    match c.status {
        Some(Status::Active) => w.worker.left_on = None,
        Some(Status::Left) if w.worker.left_on.is_none() => {
            errs.push(("left_on", "a worker who left needs the date he left (left_on, YYYY-MM-DD)".into()));
        }
        _ => {}
    }
    if let Some(s) = c.status {
        w.worker.status = s.as_str().into();
    } else if c.left_on.as_ref().is_some_and(Option::is_some) {
        // A leaving date given alone marks the worker left.
        w.worker.status = Status::Left.as_str().into();
    }
    if let (Some(j), Some(l)) = (&w.worker.joined_on, &w.worker.left_on)
        && l < j
    {
        errs.push(("left_on", "the leaving date is before the joining date".into()));
    }
    if w.worker.name.is_empty() {
        errs.push(("name", "a name is required".into()));
    }
    w
}

fn blank_worker(id: &str) -> StoredWorker {
    StoredWorker {
        worker: Worker {
            id: id.into(),
            name: String::new(),
            id_masked: None,
            card_masked: None,
            bank: None,
            phone_masked: None,
            crew: None,
            trade: None,
            day_rate: None,
            status: Status::Active.as_str().into(),
            joined_on: None,
            left_on: None,
            updated_at_ms: 0,
        },
        id_hash: None,
        card_hash: None,
    }
}

fn first_problem(errs: FieldProblems) -> FundsError {
    let (field, message) = errs.into_iter().next().unwrap_or(("body", String::new()));
    FundsError::invalid(field, message)
}

async fn stored(db: &Db, project: &str) -> FundsResult<Vec<StoredWorker>> {
    let sql = format!("SELECT {STORED_COLUMNS} FROM workers WHERE project_id = $1 ORDER BY id");
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(project).fetch_all(p).await?))
}

/// Which filter `list` applies (`GET /v1/funds/workers`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// `active` or `left` (or 在场, 退场 …); absent: both.
    #[param(example = "active")]
    pub status: Option<String>,
    /// Only this crew's workers.
    pub crew: Option<String>,
}

/// The project's roster, by id: masked numbers only.
pub async fn list(db: &Db, project: &str, filter: &ListFilter) -> FundsResult<Vec<Worker>> {
    let status = match filter.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(Status::parse(s).ok_or_else(|| FundsError::bad("status", "expected active or left"))?),
        None => None,
    };
    let sql = format!("SELECT {COLUMNS} FROM workers WHERE project_id = $1 ORDER BY id");
    let all: Vec<Worker> =
        on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(project).fetch_all(p).await?);
    let crew = filter.crew.as_deref().map(str::trim).filter(|c| !c.is_empty());
    Ok(all
        .into_iter()
        .filter(|w| status.is_none_or(|s| w.status == s.as_str()))
        .filter(|w| crew.is_none_or(|c| w.crew.as_deref() == Some(c)))
        .collect())
}

/// One worker of the project (404 when the project has none of that id).
pub async fn get(db: &Db, project: &str, id: &str) -> FundsResult<Worker> {
    let sql = format!("SELECT {COLUMNS} FROM workers WHERE project_id = $1 AND id = $2");
    let found: Option<Worker> = on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(project)
        .bind(id)
        .fetch_optional(p)
        .await?);
    found.ok_or_else(|| FundsError::not_found("id", format!("no worker {id:?} on this project's roster")))
}

/// The next free `W` number: one past the highest `W<digits>` id of the project.
fn next_id(taken: impl Iterator<Item = String>) -> impl FnMut() -> String {
    let mut n = taken.filter_map(|id| id.strip_prefix('W').and_then(|d| d.parse::<u64>().ok())).max().unwrap_or(0);
    move || {
        n += 1;
        format!("W{n:04}")
    }
}

/// Another worker of `all` (not `except`) holding this hash, as the message names it.
fn holder<'a>(all: &'a [StoredWorker], except: &str, hash: Option<&str>, card: bool) -> Option<&'a StoredWorker> {
    let hash = hash?;
    all.iter().find(|o| {
        o.worker.id != except && if card { o.card_hash.as_deref() } else { o.id_hash.as_deref() } == Some(hash)
    })
}

fn duplicate_message(what: &str, other: &StoredWorker) -> String {
    format!("this {what} is already on the roster as {} ({})", other.worker.id, other.worker.name)
}

/// Inserts or updates rows in one transaction.
async fn write(db: &Db, project: &str, rows: &[(StoredWorker, bool)]) -> FundsResult<()> {
    let now = record_schema::now_ms();
    let result: Result<(), sqlx::Error> = on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        for (w, new) in rows {
            let v = &w.worker;
            let sql = if *new {
                "INSERT INTO workers (project_id, id, name, id_hash, id_masked, card_hash, card_masked, bank, \
                 phone_masked, crew, trade, day_rate, status, joined_on, left_on, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            } else {
                "UPDATE workers SET name = $3, id_hash = $4, id_masked = $5, card_hash = $6, card_masked = $7, \
                 bank = $8, phone_masked = $9, crew = $10, trade = $11, day_rate = $12, status = $13, \
                 joined_on = $14, left_on = $15, updated_at_ms = $16 WHERE project_id = $1 AND id = $2"
            };
            sqlx::query(sql)
                .bind(project)
                .bind(&v.id)
                .bind(&v.name)
                .bind(&w.id_hash)
                .bind(&v.id_masked)
                .bind(&w.card_hash)
                .bind(&v.card_masked)
                .bind(&v.bank)
                .bind(&v.phone_masked)
                .bind(&v.crew)
                .bind(&v.trade)
                .bind(&v.day_rate)
                .bind(&v.status)
                .bind(&v.joined_on)
                .bind(&v.left_on)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    });
    match result {
        Ok(()) => Ok(()),
        // A concurrent change took the id or the ID number first.
        Err(e) if is_unique_violation(&e) => Err(FundsError::conflict(
            "id_number",
            "another change to the roster took this worker id or ID number at the same time: reload and retry",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Adds a worker. `input.name` is required; `input.id` absent takes the next `W` number. A worker
/// id or ID/card number already on the project's roster is 409 naming who holds it.
pub async fn create(db: &Db, cache: &DocCache, project: &str, input: &WorkerInput) -> FundsResult<Worker> {
    let key = masking::hash_key(db).await?;
    let (changes, mut errs) = check(input, &key);
    if input.name.is_none() {
        errs.push(("name", "a name is required".into()));
    }
    let given = input.id.as_deref().map(str::trim);
    if let Some(id) = given
        && let Err(m) = check_worker_id(id)
    {
        errs.push(("id", m));
    }
    if !errs.is_empty() {
        return Err(first_problem(errs));
    }
    let all = stored(db, project).await?;
    let id = match given {
        Some(id) => {
            if all.iter().any(|w| w.worker.id == id) {
                return Err(FundsError::conflict("id", format!("worker id {id:?} is already on the roster")));
            }
            id.to_string()
        }
        None => next_id(all.iter().map(|w| w.worker.id.clone()))(),
    };
    let w = apply(blank_worker(&id), &changes, &mut errs);
    if !errs.is_empty() {
        return Err(first_problem(errs));
    }
    refuse_duplicates(&all, &w)?;
    write(db, project, &[(w, true)]).await?;
    publish(db, cache, project).await?;
    get(db, project, &id).await
}

fn refuse_duplicates(all: &[StoredWorker], w: &StoredWorker) -> FundsResult<()> {
    if let Some(o) = holder(all, &w.worker.id, w.id_hash.as_deref(), false) {
        return Err(FundsError::conflict("id_number", duplicate_message("ID number", o)));
    }
    if let Some(o) = holder(all, &w.worker.id, w.card_hash.as_deref(), true) {
        return Err(FundsError::conflict("card_number", duplicate_message("bank card number", o)));
    }
    Ok(())
}

/// Changes a worker: absent fields are kept (a masked number cannot be sent back, so it stays unless
/// a new one is given), `null`/`""` clears. `status: "left"` with `left_on` marks him left (and
/// drops him from the phones' roster); `status: "active"` brings him back.
pub async fn update(db: &Db, cache: &DocCache, project: &str, id: &str, input: &WorkerInput) -> FundsResult<Worker> {
    let key = masking::hash_key(db).await?;
    let (changes, mut errs) = check(input, &key);
    if let Some(other) = input.id.as_deref().map(str::trim)
        && other != id
    {
        errs.push(("id", "a worker's id cannot change (it is the id in the URL)".into()));
    }
    if !errs.is_empty() {
        return Err(first_problem(errs));
    }
    let all = stored(db, project).await?;
    let Some(current) = all.iter().find(|w| w.worker.id == id).cloned() else {
        return Err(FundsError::not_found("id", format!("no worker {id:?} on this project's roster")));
    };
    let w = apply(current, &changes, &mut errs);
    if !errs.is_empty() {
        return Err(first_problem(errs));
    }
    refuse_duplicates(&all, &w)?;
    write(db, project, &[(w, false)]).await?;
    publish(db, cache, project).await?;
    get(db, project, id).await
}

/// The headers a roster file's columns may carry (Chinese or English).
pub const ROSTER_COLUMNS: &[(&str, &[&str])] = &[
    ("id", &["id", "worker_id", "编号", "工号", "人员编号"]),
    ("name", &["name", "姓名"]),
    ("id_number", &["id_number", "id_no", "身份证号", "身份证号码", "身份证", "证件号码"]),
    ("card_number", &["card_number", "card", "bank_card", "银行卡号", "卡号", "工资卡号", "银行账号"]),
    ("bank", &["bank", "开户行", "开户银行", "银行"]),
    ("phone", &["phone", "mobile", "手机号", "手机", "手机号码", "电话", "联系电话", "联系方式"]),
    ("crew", &["crew", "班组"]),
    ("trade", &["trade", "工种"]),
    ("day_rate", &["day_rate", "日工资", "日薪", "工日单价", "日单价"]),
    ("status", &["status", "状态"]),
    ("joined_on", &["joined_on", "进场日期", "入场日期"]),
    ("left_on", &["left_on", "退场日期", "离场日期"]),
];

/// What a roster import did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = RosterImportSummary)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    /// Header cells that name no roster column (letter and text); their cells were not read.
    pub ignored_columns: Vec<String>,
}

/// A number cell a workbook kept as a number: precise to 15 digits only.
fn numeric_number(l: &Located, cells: &[sheet::Cell], col: &str) -> bool {
    l.cell(cells, col).is_some_and(|c| c.numeric && c.text.trim().len() > 15)
}

/// Imports a roster file (CSV or the first sheet of an XLSX workbook; headers as
/// [`ROSTER_COLUMNS`]). A row names its worker by `id` when the file has that column; else by its ID
/// number when that is on the roster; else it is a new worker. Every row is checked before anything
/// is written: one bad row imports nothing (422 listing the rows, each with row and column). The
/// same ID or card number on two rows, or on a row and another stored worker, is such a problem.
pub async fn import(db: &Db, cache: &DocCache, project: &str, bytes: &[u8]) -> FundsResult<ImportSummary> {
    let file = sheet::read(bytes)?;
    let l = sheet::locate(&file.header, ROSTER_COLUMNS)?;
    if !l.has("name") {
        return Err(FundsError::invalid("file", "the file has no name column (姓名 or name) in row 1"));
    }
    let key = masking::hash_key(db).await?;
    let all = stored(db, project).await?;
    let mut by_id: HashMap<String, StoredWorker> = all.iter().map(|w| (w.worker.id.clone(), w.clone())).collect();
    let by_hash: HashMap<String, String> =
        all.iter().filter_map(|w| Some((w.id_hash.clone()?, w.worker.id.clone()))).collect();
    let mut new_id = next_id(all.iter().map(|w| w.worker.id.clone()));
    let mut problems: Vec<RowProblem> = Vec::new();
    // Which row wrote each worker id, ID hash and card hash in this file.
    let (mut row_of_worker, mut row_of_id, mut row_of_card) =
        (HashMap::<String, usize>::new(), HashMap::<String, usize>::new(), HashMap::<String, usize>::new());
    let mut out: Vec<(StoredWorker, bool)> = Vec::new();
    for (row, cells) in &file.rows {
        if sheet::blank(cells) {
            continue;
        }
        let row = *row;
        let text = |c: &str| l.text(cells, c).map(str::to_string);
        let patch_of = |c: &str| if l.has(c) { Some(text(c)) } else { None };
        let mut numbers_ok = true;
        for col in ["id_number", "card_number"] {
            if numeric_number(&l, cells, col) {
                problems.push(l.problem(
                    row,
                    col,
                    "is stored as a number in the workbook, which keeps only 15 digits: format the column as text",
                ));
                numbers_ok = false;
            }
        }
        if !numbers_ok {
            continue;
        }
        let input = WorkerInput {
            id: text("id"),
            name: Some(text("name").unwrap_or_default()),
            id_number: patch_of("id_number"),
            card_number: patch_of("card_number"),
            bank: patch_of("bank"),
            phone: patch_of("phone"),
            crew: patch_of("crew"),
            trade: patch_of("trade"),
            day_rate: patch_of("day_rate"),
            status: text("status"),
            joined_on: patch_of("joined_on"),
            left_on: patch_of("left_on"),
        };
        let (changes, mut errs) = check(&input, &key);
        if let Some(id) = &input.id
            && let Err(m) = check_worker_id(id)
        {
            errs.push(("id", m));
        }
        let hash = changes.id.as_ref().and_then(|v| v.as_ref().map(|(h, _)| h.clone()));
        let existing = match &input.id {
            Some(id) => by_id.get(id).cloned(),
            None => hash.as_ref().and_then(|h| by_hash.get(h)).and_then(|id| by_id.get(id).cloned()),
        };
        let (base, new) = match existing {
            Some(w) => (w, false),
            None => (blank_worker(&input.id.clone().unwrap_or_else(&mut new_id)), true),
        };
        let w = apply(base, &changes, &mut errs);
        for (field, message) in errs {
            problems.push(l.problem(row, field, message));
        }
        if let Some(first) = row_of_worker.insert(w.worker.id.clone(), row) {
            problems.push(l.problem(row, "id", format!("worker {} is already given in row {first}", w.worker.id)));
        }
        for (hash, rows, col, what) in [
            (&w.id_hash, &mut row_of_id, "id_number", "ID number"),
            (&w.card_hash, &mut row_of_card, "card_number", "bank card number"),
        ] {
            let Some(h) = hash else { continue };
            if let Some(first) = rows.insert(h.clone(), row) {
                problems.push(l.problem(row, col, format!("the same {what} is already in row {first}")));
            }
        }
        by_id.insert(w.worker.id.clone(), w.clone());
        out.push((w, new));
    }
    // Against the stored workers this file does not change (or changes away from the number).
    let written: HashMap<&str, usize> = out.iter().enumerate().map(|(i, (w, _))| (w.worker.id.as_str(), i)).collect();
    let after: Vec<StoredWorker> = by_id.values().cloned().collect();
    for (w, _) in &out {
        let row = row_of_worker.get(&w.worker.id).copied().unwrap_or(0);
        for (card, col, what) in [(false, "id_number", "ID number"), (true, "card_number", "bank card number")] {
            let hash = if card { w.card_hash.as_deref() } else { w.id_hash.as_deref() };
            if let Some(o) = holder(&after, &w.worker.id, hash, card)
                && !written.contains_key(o.worker.id.as_str())
            {
                problems.push(l.problem(row, col, duplicate_message(what, o)));
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return Err(FundsError::rows(problems));
    }
    if out.is_empty() {
        return Err(FundsError::invalid("file", "the file has no worker rows under its header"));
    }
    let summary = ImportSummary {
        created: out.iter().filter(|(_, new)| *new).count(),
        updated: out.iter().filter(|(_, new)| !*new).count(),
        ignored_columns: l.ignored.clone(),
    };
    write(db, project, &out).await?;
    publish(db, cache, project).await?;
    Ok(summary)
}

/// Republishes the project's reference document, whose `workers` is the active roster (read by
/// `crate::reference::store::load`).
pub async fn publish(db: &Db, cache: &DocCache, project: &str) -> FundsResult<()> {
    let set = crate::reference::store::load(db, project).await?;
    crate::reference::store::publish(db, cache, &set).await?;
    Ok(())
}

/// A name typed on approved labour lines that no roster entry carries: where it appears.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ProposedName {
    pub name: String,
    /// Approved entries naming it (net of reversals), and the person-days they hold.
    pub entries: i64,
    pub person_days: String,
    pub first_date: String,
    pub last_date: String,
    pub crews: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct NamedEntry {
    worker_name: String,
    crew: Option<String>,
    work_date: String,
    entry: String,
    person_days_micro: i64,
}

/// Names on approved wage entries (`funds_entries`, kind `wage`) with neither a worker id on the
/// roster nor a roster entry of exactly that name (trimmed), by name. Reversed entries cancel their
/// postings, so a name whose every approval was replaced is not proposed.
pub async fn proposed(db: &Db, project: &str) -> FundsResult<Vec<ProposedName>> {
    let rows: Vec<NamedEntry> = on_pool!(db, |p| sqlx::query_as(
        "SELECT e.worker_name, e.crew, e.work_date, e.entry, e.person_days_micro FROM funds_entries e \
         WHERE e.project_id = $1 AND e.kind = 'wage' AND e.worker_name IS NOT NULL \
         AND (e.worker_id IS NULL OR NOT EXISTS (SELECT 1 FROM workers w WHERE w.project_id = e.project_id \
                                                 AND w.id = e.worker_id)) \
         ORDER BY e.id"
    )
    .bind(project)
    .fetch_all(p)
    .await?);
    let names: Vec<String> = on_pool!(db, |p| sqlx::query_scalar("SELECT name FROM workers WHERE project_id = $1")
        .bind(project)
        .fetch_all(p)
        .await?);
    let on_roster: std::collections::HashSet<String> = names.iter().map(|n| n.trim().to_string()).collect();
    struct Acc {
        entries: i64,
        micro: i64,
        first: String,
        last: String,
        crews: std::collections::BTreeSet<String>,
    }
    let mut by: BTreeMap<String, Acc> = BTreeMap::new();
    for r in rows {
        let name = r.worker_name.trim().to_string();
        if name.is_empty() || on_roster.contains(&name) {
            continue;
        }
        let a = by.entry(name).or_insert_with(|| Acc {
            entries: 0,
            micro: 0,
            first: r.work_date.clone(),
            last: r.work_date.clone(),
            crews: Default::default(),
        });
        let sign = if r.entry == "reversal" { -1 } else { 1 };
        a.entries += sign;
        a.micro += r.person_days_micro;
        if sign > 0 {
            a.first = a.first.clone().min(r.work_date.clone());
            a.last = a.last.clone().max(r.work_date.clone());
            if let Some(c) = r.crew.filter(|c| !c.trim().is_empty()) {
                a.crews.insert(c);
            }
        }
    }
    Ok(by
        .into_iter()
        .filter(|(_, a)| a.entries > 0)
        .map(|(name, a)| ProposedName {
            name,
            entries: a.entries,
            person_days: crate::ledger::postings::from_micro(a.micro).normalize().to_string(),
            first_date: a.first,
            last_date: a.last,
            crews: a.crews.into_iter().collect(),
        })
        .collect())
}

/// Confirms a proposed name: creates its roster entry (`input.name` must be a name `proposed`
/// lists, 404 otherwise; the crew defaults to the name's only crew). Later reads of the wage ledger
/// resolve the name to it.
pub async fn confirm_proposed(db: &Db, cache: &DocCache, project: &str, input: &WorkerInput) -> FundsResult<Worker> {
    let name = input.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(FundsError::invalid("name", "the proposed name to confirm is required"));
    }
    let list = proposed(db, project).await?;
    let Some(found) = list.iter().find(|p| p.name == name) else {
        return Err(FundsError::not_found("name", format!("{name:?} is not a proposed name of this project")));
    };
    let mut input = input.clone();
    if input.crew.is_none() && found.crews.len() == 1 {
        input.crew = Some(found.crews.first().cloned());
    }
    create(db, cache, project, &input).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_ids_follow_the_highest() {
        let mut next = next_id(["W0002", "X9", "W0010", "Wabc"].into_iter().map(String::from));
        assert_eq!(next(), "W0011");
        assert_eq!(next(), "W0012");
        assert_eq!(next_id(std::iter::empty())(), "W0001");
    }

    #[test]
    fn inputs_are_checked_by_field() {
        let key = HashKey::from_hex(&"11".repeat(32)).expect("key");
        let input = WorkerInput {
            name: Some("  张三 ".into()),
            id_number: Some(Some("11010519491231002x".into())),
            phone: Some(Some("13812345678".into())),
            day_rate: Some(Some("380.50".into())),
            status: Some("left".into()),
            left_on: Some(Some("2026-11-30".into())),
            ..Default::default()
        };
        let (c, errs) = check(&input, &key);
        assert!(errs.is_empty(), "{errs:?}");
        let mut errs = Vec::new();
        let w = apply(blank_worker("W0001"), &c, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(w.worker.name, "张三");
        assert_eq!(w.worker.id_masked.as_deref(), Some("1101**********002X"));
        assert_eq!(w.worker.phone_masked.as_deref(), Some("138****5678"));
        assert_eq!(w.worker.day_rate.as_deref(), Some("380.5"));
        assert_eq!(w.worker.status, "left");
        assert_eq!(w.id_hash.as_ref().map(String::len), Some(64));

        let bad = WorkerInput {
            name: Some("x".repeat(MAX_NAME_CHARS + 1)),
            id_number: Some(Some("110105194912310021".into())),
            day_rate: Some(Some("-1".into())),
            joined_on: Some(Some("2026-02-30".into())),
            ..Default::default()
        };
        let (_, errs) = check(&bad, &key);
        let fields: Vec<&str> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "id_number", "day_rate", "joined_on"]);
        assert!(errs.iter().all(|(_, m)| !m.contains("110105194912310021")));

        let mut errs = Vec::new();
        let (c, _) = check(&WorkerInput { status: Some("left".into()), ..Default::default() }, &key);
        apply(blank_worker("W1"), &c, &mut errs);
        assert_eq!(errs.first().map(|e| e.0), Some("left_on"));
    }
}
