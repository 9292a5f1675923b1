//! `/web/admin/audit`: the access audit of a project for its admins, newest first, in pages, in
//! words ("王建国 signed in from 10.0.0.5", "3 failed sign-ins for 138…"). A project's events
//! are those about it and the company-wide ones (sign-ins) of its members.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, WebError, render};
use crate::access::audit::StoredEvent;
use crate::db::{Db, on_pool};
use crate::state::AppState;

/// Events per page.
pub const PER_PAGE: i64 = 50;

/// The events of `project` older than `before` (an id), newest first: about the project, or
/// company-wide about one of its members.
async fn events(db: &Db, project: &str, before: Option<i64>, limit: i64) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = "SELECT id, at_ms, event, project_id, actor_id, person_id, device_id, address, detail \
               FROM access_events e WHERE e.id < $1 AND (e.project_id = $2 OR (e.project_id IS NULL AND \
               e.person_id IN (SELECT person_id FROM memberships WHERE project_id = $2))) \
               ORDER BY e.id DESC LIMIT $3";
    on_pool!(db, |p| sqlx::query_as(sql).bind(before.unwrap_or(i64::MAX)).bind(project).bind(limit).fetch_all(p).await)
}

/// The names of the people an event page mentions.
async fn names(db: &Db, ids: &[&str]) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(*id) {
            continue;
        }
        let name: Option<String> = on_pool!(db, |p| sqlx::query_scalar("SELECT name FROM people WHERE id = $1")
            .bind(*id)
            .fetch_optional(p)
            .await)?;
        if let Some(n) = name {
            out.insert(id.to_string(), n);
        }
    }
    Ok(out)
}

/// A phone number or address tried at sign-in, shortened so the log does not list whole numbers:
/// its first 3 characters and an ellipsis (`138…`).
pub fn masked(login: &str) -> String {
    let head: String = login.chars().take(3).collect();
    if login.chars().count() > 3 { format!("{head}…") } else { head }
}

/// One line of the page.
pub struct Line {
    pub when: String,
    pub words: String,
    pub event: &'static str,
}

/// Events in words, consecutive failed sign-ins for the same login folded into one line. `sites`:
/// the project's sites from its reference data, (id, name), to name the sites of a sites change as
/// the people screen does (a site removed since: its id).
pub fn lines(
    events: &[StoredEvent],
    names: &HashMap<String, String>,
    sites: &[(String, String)],
    lang: Lang,
    when: impl Fn(i64) -> String,
) -> Vec<Line> {
    let name = |id: &Option<String>, none: &'static str| {
        id.as_ref().map_or_else(|| lang.t(none).to_string(), |i| names.get(i).cloned().unwrap_or_else(|| i.clone()))
    };
    let role_words = |detail: &str| {
        detail
            .split(" -> ")
            .map(|r| r.parse::<crate::auth::Role>().map_or(r.to_string(), |r| lang.t(super::role_key(r)).to_string()))
            .collect::<Vec<_>>()
            .join(" → ")
    };
    let mut out: Vec<Line> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let e = &events[i];
        let mut n = 1;
        if e.event == "sign_in_failed" {
            while events.get(i + n).is_some_and(|o| o.event == "sign_in_failed" && o.detail == e.detail) {
                n += 1;
            }
        }
        let (key, event): (&'static str, &'static str) = match e.event.as_str() {
            "sign_in" => ("acc_ev_sign_in", "sign_in"),
            "sign_in_failed" if n > 1 => ("acc_ev_sign_in_failed", "sign_in_failed"),
            "sign_in_failed" => ("acc_ev_sign_in_failed_one", "sign_in_failed"),
            "sign_out" if e.detail.starts_with("disabled") => ("acc_ev_disabled", "sign_out"),
            "sign_out" => ("acc_ev_sign_out", "sign_out"),
            "password_set" => ("acc_ev_password_set", "password_set"),
            "person_added" => ("acc_ev_person_added", "person_added"),
            // A change of the member's sites (`access::people::set_sites`), not of the role.
            "membership_set" if e.detail.starts_with("sites: ") => ("acc_ev_sites_set", "membership_set"),
            "membership_set" => ("acc_ev_membership_set", "membership_set"),
            "membership_removed" => ("acc_ev_membership_removed", "membership_removed"),
            "pairing_created" => ("acc_ev_pairing_created", "pairing_created"),
            "paired" => ("acc_ev_paired", "paired"),
            "pairing_refused" => ("acc_ev_pairing_refused", "pairing_refused"),
            "device_revoked" => ("acc_ev_device_revoked", "device_revoked"),
            "device_renamed" => ("acc_ev_device_renamed", "device_renamed"),
            "token_rotated" => ("acc_ev_token_rotated", "token_rotated"),
            "token_created" => ("acc_ev_token_created", "token_created"),
            _ => ("acc_ev_sign_out", "other"),
        };
        let detail = match (event, e.detail.strip_prefix("sites: ")) {
            ("membership_set", Some("all")) => lang.t("acc_sites_all").to_string(),
            // `access::people::set_sites` writes the ids joined by ", ".
            ("membership_set", Some(ids)) => {
                super::admin_people::site_words(&ids.split(", ").collect::<Vec<_>>(), sites, lang)
            }
            ("membership_set" | "membership_removed", _) => role_words(&e.detail),
            _ => e.detail.clone(),
        };
        let mut words = lang
            .t(key)
            .replace("{actor}", &name(&e.actor_id, "acc_cli"))
            .replace("{person}", &name(&e.person_id, "acc_someone"))
            .replace("{login}", &masked(&e.detail))
            .replace("{n}", &n.to_string())
            .replace("{detail}", &detail);
        if let Some(a) = e.address.as_deref().filter(|a| !a.is_empty()) {
            words.push(' ');
            words.push_str(&lang.t("acc_from").replace("{address}", a));
        }
        out.push(Line { when: when(e.at_ms), words, event });
        i += n;
    }
    out
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    lines: Vec<Line>,
    /// The id to page on from (older events), when there are more.
    older: Option<i64>,
    paged: bool,
}

/// `GET /web/admin/audit?before=`
pub(crate) async fn page(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    if !s.manages() {
        return Err(WebError::Forbidden(format!("a {} cannot read the access log; an admin can", s.grant.role)));
    }
    let before = q.ok().and_then(|Query(q)| q.before);
    let mut found = events(&state.db, &s.grant.project_id, before, PER_PAGE + 1).await.map_err(WebError::internal)?;
    let older = (found.len() as i64 > PER_PAGE).then(|| found[PER_PAGE as usize - 1].id);
    found.truncate(PER_PAGE as usize);
    let ids: Vec<&str> = found.iter().flat_map(|e| [e.actor_id.as_deref(), e.person_id.as_deref()]).flatten().collect();
    let names = names(&state.db, &ids).await.map_err(WebError::internal)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_audit_title");
    // Times in the project's first site's zone (UTC, said so, when it has none).
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let zone = set.sites.first().map_or("", |site| site.time_zone.as_str());
    let sites: Vec<(String, String)> = set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect();
    let lang = c.lang;
    let lines = lines(&found, &names, &sites, lang, |ms| super::format::instant(ms, zone, lang));
    Ok(render(&AuditPage { c, lines, older, paged: before.is_some() })?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(
        id: i64,
        event: &str,
        actor: Option<&str>,
        person: Option<&str>,
        address: Option<&str>,
        detail: &str,
    ) -> StoredEvent {
        StoredEvent {
            id,
            at_ms: id * 1000,
            event: event.into(),
            project_id: None,
            actor_id: actor.map(str::to_string),
            person_id: person.map(str::to_string),
            device_id: None,
            address: address.map(str::to_string),
            detail: detail.into(),
        }
    }

    #[test]
    fn events_read_as_words_and_failures_fold() {
        let names = HashMap::from([("p1".to_string(), "王建国".to_string()), ("a".to_string(), "李强".to_string())]);
        let events = vec![
            ev(9, "sign_in", Some("p1"), Some("p1"), Some("10.0.0.5"), ""),
            ev(8, "sign_in_failed", None, Some("p1"), Some("10.0.0.5"), "13812345678"),
            ev(7, "sign_in_failed", None, Some("p1"), Some("10.0.0.5"), "13812345678"),
            ev(6, "sign_in_failed", None, Some("p1"), Some("10.0.0.5"), "13812345678"),
            ev(5, "membership_set", Some("a"), Some("p1"), None, "foreman -> supervisor"),
            ev(4, "membership_set", Some("a"), Some("p1"), None, "sites: S1, S3"),
            ev(3, "membership_set", Some("a"), Some("p1"), None, "sites: all"),
        ];
        // S3 was removed from the reference data since: its id.
        let sites = [("S1".to_string(), "东区工地".to_string()), ("S2".to_string(), "西区工地".to_string())];
        let en = lines(&events, &names, &sites, Lang::En, |ms| ms.to_string());
        assert_eq!(en.len(), 5);
        assert_eq!(en[0].words, "王建国 signed in from 10.0.0.5");
        assert_eq!(en[1].words, "3 failed sign-ins for 138… from 10.0.0.5");
        assert_eq!(en[2].words, "李强 made 王建国 foreman → supervisor");
        let zh = lines(&events, &names, &sites, Lang::ZhCn, |ms| ms.to_string());
        assert_eq!(zh[0].words, "王建国 登录 （来自 10.0.0.5）");
        assert_eq!(zh[1].words, "138… 登录失败 3 次 （来自 10.0.0.5）");
        assert_eq!(zh[2].words, "李强 将 王建国 设为工长 → 生产经理");
        assert_eq!(en[3].words, "李强 set 王建国's sites: 东区工地 (S1), S3");
        assert_eq!(zh[3].words, "李强 将 王建国 的工地设为 东区工地 (S1)、S3");
        assert_eq!(en[4].words, "李强 set 王建国's sites: All sites");
        assert_eq!(zh[4].words, "李强 将 王建国 的工地设为 全部工地");
        assert!(!en.iter().any(|l| l.words.contains("13812345678")), "whole numbers are not shown");
    }
}
