//! `/web/admin/reference`: the project's reference data for its admins (project and its hours per
//! day, sites, cost codes, activities, trades, expense categories): list, add, edit, delete, and many
//! rows pasted at once. While a project lists no expense categories the default ones are in force;
//! the page says which, and offers them as the rows to start the project's own list from.
//!
//! Every change goes through `reference::edit` (one row as a one-row import: the import's rules
//! and messages, nothing stored on error, the phones' reference document republished); a refused
//! form comes back with what was typed and each problem at its field, in the page language
//! (`words`). Supervisors get a 403 page; a foreman never has a session.
//!
//! The project tab also holds the sync-scope settings (issue 25: what phones keep, the window of
//! a site's records and of one's own), checked and written by the functions `PUT
//! /v1/reference/project` uses (`scope_facts::ProjectScope::take_from`, `set_project_scope`); a
//! refusal is said at its field in the page language and changes nothing. Like the other reference
//! edits, no access-log entry.

mod view;
mod words;

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::WebSession;
use super::{Chrome, Fields, WebError, render, urlencode};
use crate::reference::edit::{self, DeleteError, Mode, Use};
use crate::reference::table::Table;
use crate::reference::{ReferenceError, ReferenceSet, import, store};
use crate::scope_facts::{self, ProjectScope, SettingError};
use crate::state::AppState;
use view::{FormView, RowView, ScopeForm, TabLink};
use words::ProblemWords;

#[derive(Debug, Default, Deserialize)]
pub struct RefQuery {
    tab: Option<String>,
    edit: Option<String>,
    delete: Option<String>,
    done: Option<String>,
    key: Option<String>,
    n: Option<String>,
}

/// A delete asked for: what it is, and what still uses it (then it is refused).
pub struct Confirm {
    pub title: String,
    pub refused: bool,
    pub uses: Vec<String>,
    pub help: &'static str,
    pub table: &'static str,
    pub key: String,
}

#[derive(Template)]
#[template(path = "admin_reference.html")]
struct RefPage {
    c: Chrome,
    forbidden: bool,
    tab: &'static str,
    tabs: Vec<TabLink>,
    project_id: String,
    done: String,
    problems_title: &'static str,
    problems: Vec<ProblemWords>,
    more: usize,
    confirm: Option<Confirm>,
    form: FormView,
    heads: Vec<(&'static str, &'static str)>,
    rows: Vec<RowView>,
    count: String,
    /// Cost codes offered where a code is typed (parent, an activity's code): (code, name).
    codes: Vec<(String, String)>,
    /// Rows pasted for a bulk import, kept when refused.
    pasted: String,
    /// The expense categories in force while the project lists none, in the page's language.
    default_categories: Vec<String>,
    /// Those categories as rows of an import (the button that makes them the project's list).
    default_rows: String,
    /// The project tab's sync-scope settings (what phones keep).
    scope: Option<ScopeForm>,
}

/// What a page shows besides the table's list.
#[derive(Default)]
struct Shown {
    done: String,
    problems_title: &'static str,
    problems: Vec<ProblemWords>,
    more: usize,
    confirm: Option<Confirm>,
    /// The row being edited and the form's values (typed, or stored).
    edit: Option<String>,
    values: BTreeMap<&'static str, String>,
    pasted: String,
    /// The project tab's sync-scope form (`scope_shown`, or as typed when refused).
    scope: Option<ScopeForm>,
}

/// Reference data is the project's admins' (`Role::manages`, as people and the access audit).
fn is_admin(s: &WebSession) -> bool {
    s.manages()
}

fn table_of(text: &str) -> Result<Table, WebError> {
    text.parse::<Table>().map_err(WebError::BadRequest)
}

fn chrome(s: &WebSession, headers: &HeaderMap, uri: &Uri) -> Chrome {
    // Under the navigation's Admin entry, beside people and the access audit (admin_tabs.html).
    Chrome::new(Some(s), headers, uri, "admin", "ref_title")
}

fn build(mut c: Chrome, set: &ReferenceSet, table: Table, shown: Shown) -> RefPage {
    let lang = c.lang;
    // A page answering a form: the language switch comes back to the table's page (a form's path
    // answers only POST).
    if c.path.starts_with("/web/admin/reference/") {
        c.path = view::tab_href(table);
    }
    let on = shown.edit.as_deref().or(shown.confirm.as_ref().map(|k| k.key.as_str()));
    let rows = view::rows(set, table, on, lang);
    let form = view::form(set, table, shown.edit.as_deref(), &shown.values, &shown.problems, lang);
    let (default_categories, default_rows) = if table == Table::ExpenseCategories && rows.is_empty() {
        view::default_categories(lang)
    } else {
        (Vec::new(), String::new())
    };
    RefPage {
        forbidden: false,
        tab: table.as_str(),
        tabs: view::tabs(set, table),
        project_id: set.project.id.clone(),
        done: shown.done,
        problems_title: if shown.problems_title.is_empty() { "ref_not_saved" } else { shown.problems_title },
        problems: shown.problems,
        more: shown.more,
        confirm: shown.confirm,
        form,
        heads: view::heads(table),
        count: lang.t("ref_rows").replace("{n}", &rows.len().to_string()),
        rows,
        codes: set.cost_codes.iter().map(|k| (k.code.clone(), k.name.clone())).collect(),
        pasted: shown.pasted,
        default_categories,
        default_rows,
        scope: if table == Table::Project { shown.scope } else { None },
        c,
    }
}

fn respond(status: StatusCode, page: &RefPage) -> Result<Response, WebError> {
    Ok((status, render(page)?).into_response())
}

/// The 403 page for a signed-in supervisor: the frame and one sentence, nothing of the data.
fn forbidden(c: Chrome) -> Result<Response, WebError> {
    let page = RefPage {
        c,
        forbidden: true,
        tab: "",
        tabs: Vec::new(),
        project_id: String::new(),
        done: String::new(),
        problems_title: "ref_not_saved",
        problems: Vec::new(),
        more: 0,
        confirm: None,
        form: FormView { table: "", title: String::new(), mode: "", fields: Vec::new(), cancel: String::new() },
        heads: Vec::new(),
        rows: Vec::new(),
        count: String::new(),
        codes: Vec::new(),
        pasted: String::new(),
        default_categories: Vec::new(),
        default_rows: String::new(),
        scope: None,
    };
    respond(StatusCode::FORBIDDEN, &page)
}

/// A use of a row, in words.
fn use_words(u: &Use, lang: crate::web::i18n::Lang) -> String {
    let list = |v: &[String]| v.join(lang.t("lab_list_sep"));
    match u {
        Use::Postings(1) => lang.t("ref_use_postings_one").to_string(),
        Use::Postings(n) => lang.t("ref_use_postings").replace("{n}", &n.to_string()),
        Use::Records(1) => lang.t("ref_use_records_one").to_string(),
        Use::Records(n) => lang.t("ref_use_records").replace("{n}", &n.to_string()),
        Use::ChildCodes(v) => lang.t("ref_use_children").replace("{list}", &list(v)),
        Use::Activities(v) => lang.t("ref_use_activities").replace("{list}", &list(v)),
    }
}

/// The delete box for row `key`: refused with what uses it, or the question.
fn confirm(set: &ReferenceSet, table: Table, key: &str, uses: &[Use], lang: crate::web::i18n::Lang) -> Confirm {
    let name =
        view::rows(set, table, None, lang).into_iter().find(|r| r.key == key).map(|r| r.name).unwrap_or_default();
    let what = if name.is_empty() || name == key { key.to_string() } else { format!("{key} {name}") };
    let refused = !uses.is_empty();
    Confirm {
        title: lang.t(if refused { "ref_delete_refused" } else { "ref_delete_title" }).replace("{what}", &what),
        refused,
        uses: uses.iter().map(|u| use_words(u, lang)).collect(),
        help: match table {
            Table::Trades => "ref_delete_trade_help",
            Table::ExpenseCategories => "ref_delete_category_help",
            _ => "ref_delete_help",
        },
        table: table.as_str(),
        key: key.to_string(),
    }
}

/// `GET /web/admin/reference?tab=&edit=&delete=&done=&key=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<RefQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let c = chrome(&s, &headers, &uri);
    if !is_admin(&s) {
        return forbidden(c);
    }
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let table = match q.tab.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => table_of(t)?,
        None => Table::Project,
    };
    let project = &s.grant.project_id;
    let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
    let lang = c.lang;
    let mut shown = Shown::default();
    let key = q.key.clone().unwrap_or_default();
    // The outcome a redirect names, said only when the data agree (a link cannot make the page
    // claim a change that did not happen).
    let stored = table == Table::Project || edit::keys(&set, table).contains(key.as_str());
    let count = q.n.as_deref().and_then(|n| n.parse::<u32>().ok());
    shown.done = match (q.done.as_deref(), stored, count) {
        (Some("added"), true, _) => lang.t("ref_done_added").replace("{key}", &key),
        (Some("saved"), true, _) => lang.t("ref_done_saved").replace("{key}", &key),
        (Some("deleted" | "missing"), false, _) => {
            let k = if q.done.as_deref() == Some("deleted") { "ref_done_deleted" } else { "ref_missing" };
            lang.t(k).replace("{key}", &key)
        }
        (Some("imported"), _, Some(n)) => lang.t("ref_done_imported").replace("{n}", &n.to_string()),
        (Some("scope"), true, _) => lang.t("ref_done_scope").to_string(),
        _ => String::new(),
    };
    if table == Table::Project {
        shown.scope = Some(scope_shown(&state, project, lang).await?);
    }
    if let Some(k) = q.edit.as_deref().filter(|k| !k.is_empty()) {
        match view::stored_cells(&set, table, k) {
            Some(values) => {
                shown.values = values;
                shown.edit = Some(k.to_string());
            }
            None => shown.done = lang.t("ref_missing").replace("{key}", k),
        }
    } else if table == Table::Project {
        shown.values = view::stored_cells(&set, table, "").unwrap_or_default();
    }
    if let Some(k) = q.delete.as_deref().filter(|k| !k.is_empty() && table != Table::Project) {
        if edit::keys(&set, table).contains(k) {
            let uses =
                edit::uses(&state.db, &state.cache, project, &set, table, k).await.map_err(WebError::internal)?;
            shown.confirm = Some(confirm(&set, table, k, &uses, lang));
        } else {
            shown.done = lang.t("ref_missing").replace("{key}", k);
        }
    }
    respond(StatusCode::OK, &build(c, &set, table, shown))
}

/// Where to go after a change: the table's page saying what happened.
fn done(table: Table, what: &str, key: &str) -> Response {
    Redirect::to(&format!("{}&done={what}&key={}", view::tab_href(table), urlencode(key))).into_response()
}

/// The problems of a refused change as the page lists them.
fn listed(e: &ReferenceError, lang: crate::web::i18n::Lang) -> Option<(Vec<ProblemWords>, usize)> {
    match e {
        ReferenceError::Invalid(p) => Some((p.iter().map(|e| words::problem(e, lang)).collect(), p.more())),
        ReferenceError::Unreadable(m) => Some((
            vec![ProblemWords {
                column: String::new(),
                place: String::new(),
                what: m.clone(),
                original: String::new(),
            }],
            0,
        )),
        _ => None,
    }
}

/// `POST /web/admin/reference/{table}` (csrf, mode=add|change, the table's columns): one row added
/// or changed as the import would; refused, the form comes back as typed with its problems (422).
pub async fn save(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(table): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = chrome(&s, &headers, &uri);
    if !is_admin(&s) {
        return forbidden(c);
    }
    if table == SCOPE_FORM {
        return save_scope(&s, &state, c, &f).await;
    }
    let table = table_of(&table)?;
    let mode = match f.get("mode") {
        Some("change") => Mode::Change,
        _ => Mode::Add,
    };
    // The table's columns the form sent (a fixed currency is not sent: left as stored).
    let cells: Vec<(String, String)> =
        table.columns().iter().filter_map(|(col, _)| f.get(col).map(|v| (col.to_string(), v.to_string()))).collect();
    let key = edit::key_column(table)
        .and_then(|k| cells.iter().find(|(c, _)| c == k))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| s.grant.project_id.clone());
    let project = &s.grant.project_id;
    match edit::save(&state.db, &state.cache, project, table, cells.clone(), mode).await {
        Ok(_) => Ok(done(table, if mode == Mode::Add { "added" } else { "saved" }, &key)),
        Err(e) => {
            let lang = c.lang;
            let Some((problems, more)) = listed(&e, lang) else { return Err(WebError::internal(e)) };
            let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
            let values = table
                .columns()
                .iter()
                .map(|(col, _)| {
                    (*col, cells.iter().find(|(c, _)| c == col).map(|(_, v)| v.clone()).unwrap_or_default())
                })
                .collect();
            let scope = match table {
                Table::Project => Some(scope_shown(&state, project, lang).await?),
                _ => None,
            };
            let shown = Shown {
                problems,
                more,
                edit: (mode == Mode::Change && table != Table::Project).then_some(key),
                values,
                scope,
                ..Shown::default()
            };
            respond(StatusCode::UNPROCESSABLE_ENTITY, &build(c, &set, table, shown))
        }
    }
}

/// The path (in place of a table) of the sync-scope settings' form.
const SCOPE_FORM: &str = "scope";

/// The project's sync-scope settings as stored, as the project tab's form.
async fn scope_shown(state: &AppState, project: &str, lang: crate::web::i18n::Lang) -> Result<ScopeForm, WebError> {
    let stored = scope_facts::project_scope(&state.db, project).await.map_err(WebError::internal)?;
    Ok(view::scope_form(stored, lang))
}

/// One setting of the form checked by the rule `PUT /v1/reference/project` applies
/// (`ProjectScope::take_from`: the same parsing, limits and "empty own days: all").
fn scope_field(name: &str, typed: Option<&str>) -> Result<ProjectScope, SettingError> {
    let mut fields = BTreeMap::new();
    if let Some(v) = typed {
        fields.insert(name.to_string(), serde_json::Value::String(v.to_string()));
    }
    ProjectScope::take_from(&mut fields)
}

/// `POST /web/admin/reference/scope` (csrf, scope_window_days, scope_own_days): the project's sync
/// scope settings, written as the API writes them (`scope_facts::set_project_scope`); a refused
/// value comes back as typed at its field in the page language (422), and nothing changes.
async fn save_scope(s: &WebSession, state: &AppState, c: Chrome, f: &Fields) -> Result<Response, WebError> {
    let lang = c.lang;
    let project = &s.grant.project_id;
    let (window_typed, own_typed) = (f.get("scope_window_days"), f.get("scope_own_days"));
    // Each field on its own, so both refusals are shown at once.
    let window = scope_field("scope_window_days", window_typed);
    let own = scope_field("scope_own_days", own_typed);
    let refused = |form: &mut ScopeForm, e: &SettingError| match e {
        SettingError::Invalid("scope_window_days", _) => {
            form.window_error = view::bad_days(&scope_facts::WINDOW_DAYS, window_typed.unwrap_or_default(), lang)
        }
        SettingError::Invalid(_, _) => {
            form.own_error = view::bad_days(&scope_facts::OWN_DAYS, own_typed.unwrap_or_default(), lang)
        }
        SettingError::NoProject(_) => form.problem = "ref_scope_no_project",
        SettingError::Db(_) => {}
    };
    // The project's row refusing the write (no settings yet) is the one refusal after the checks.
    let mut unsaved = None;
    if let (Ok(w), Ok(o)) = (&window, &own) {
        let scope = ProjectScope { window_days: w.window_days, own_days: o.own_days };
        match scope_facts::set_project_scope(&state.db, project, scope).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("{}&done=scope", view::tab_href(Table::Project))).into_response());
            }
            Err(SettingError::Db(e)) => return Err(WebError::internal(e)),
            Err(e) => unsaved = Some(e),
        }
    }
    let mut form = scope_shown(state, project, lang).await?;
    form.refused = true;
    form.window = window_typed.unwrap_or_default().to_string();
    form.own = own_typed.unwrap_or_default().to_string();
    for e in [window.as_ref().err(), own.as_ref().err(), unsaved.as_ref()].into_iter().flatten() {
        refused(&mut form, e);
    }
    let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
    let shown = Shown {
        values: view::stored_cells(&set, Table::Project, "").unwrap_or_default(),
        scope: Some(form),
        ..Shown::default()
    };
    respond(StatusCode::UNPROCESSABLE_ENTITY, &build(c, &set, Table::Project, shown))
}

/// `POST /web/admin/reference/{table}/delete` (csrf, key): refused (409) while anything uses it.
pub async fn delete(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(table): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = chrome(&s, &headers, &uri);
    if !is_admin(&s) {
        return forbidden(c);
    }
    let table = table_of(&table)?;
    let key = f.get("key").unwrap_or_default().to_string();
    let project = &s.grant.project_id;
    match edit::delete(&state.db, &state.cache, project, table, &key).await {
        Ok(()) => Ok(done(table, "deleted", &key)),
        Err(DeleteError::Missing) => Ok(done(table, "missing", &key)),
        Err(DeleteError::Project) => Err(WebError::BadRequest("the project itself cannot be deleted".into())),
        Err(DeleteError::InUse(uses)) => {
            let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
            let shown = Shown { confirm: Some(confirm(&set, table, &key, &uses, c.lang)), ..Shown::default() };
            respond(StatusCode::CONFLICT, &build(c, &set, table, shown))
        }
        Err(DeleteError::Reference(e)) => Err(WebError::internal(e)),
    }
}

/// `POST /web/admin/reference/{table}/import` (csrf, rows): rows pasted from a spreadsheet (tab
/// separated) or a CSV file, header first, imported all or nothing as `POST /v1/reference/import`.
pub async fn import_rows(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(table): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = chrome(&s, &headers, &uri);
    if !is_admin(&s) {
        return forbidden(c);
    }
    let table = table_of(&table)?;
    let text = f.get("rows").unwrap_or_default().to_string();
    let project = &s.grant.project_id;
    let result = match import::read_pasted(&text, table) {
        Ok(raw) => store::import(&state.db, &state.cache, project, &[raw]).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => {
            let n = summary.rows();
            Ok(Redirect::to(&format!("{}&done=imported&n={n}", view::tab_href(table))).into_response())
        }
        Err(e) => {
            let Some((problems, more)) = listed(&e, c.lang) else { return Err(WebError::internal(e)) };
            let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
            let shown =
                Shown { problems, more, problems_title: "ref_import_refused", pasted: text, ..Shown::default() };
            respond(StatusCode::UNPROCESSABLE_ENTITY, &build(c, &set, table, shown))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    table: Option<String>,
}

/// `POST /web/admin/reference/upload?table=`, up to the import's file size (the screens' forms
/// are held to axum's 2 MB).
pub fn upload_route() -> axum::routing::MethodRouter<AppState> {
    axum::routing::post(upload).layer(axum::extract::DefaultBodyLimit::max(import::MAX_FILE_BYTES))
}

/// The body is a CSV file (the tab's table) or an XLSX workbook (a sheet per table), sent by the
/// screen's script with the session's CSRF token in `X-CSRF-Token`; imported all or nothing as
/// `POST /v1/reference/import`.
pub async fn upload(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<UploadQuery>, QueryRejection>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    super::csrf::check(&s.csrf, headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    let c = chrome(&s, &headers, &uri);
    if !is_admin(&s) {
        return forbidden(c);
    }
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let table = table_of(q.table.as_deref().unwrap_or_default())?;
    let project = &s.grant.project_id;
    let result = if body.is_empty() {
        Err(ReferenceError::Unreadable("the file is empty".into()))
    } else {
        // A workbook carries its own tables; a CSV file is the tab's.
        let only = (!import::is_xlsx(&body)).then_some(table);
        match import::read_file(&body, only) {
            Ok(tables) => store::import(&state.db, &state.cache, project, &tables).await,
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(summary) => {
            let n = summary.rows();
            Ok(Redirect::to(&format!("{}&done=imported&n={n}", view::tab_href(table))).into_response())
        }
        Err(e) => {
            let Some((problems, more)) = listed(&e, c.lang) else { return Err(WebError::internal(e)) };
            let set = store::load(&state.db, project).await.map_err(WebError::internal)?;
            let shown = Shown { problems, more, problems_title: "ref_import_refused", ..Shown::default() };
            respond(StatusCode::UNPROCESSABLE_ENTITY, &build(c, &set, table, shown))
        }
    }
}
