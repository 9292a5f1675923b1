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
use crate::access::audit::{Facts, StoredEvent, Via};
use crate::auth::Role;
use crate::db::{Db, on_pool};
use crate::state::AppState;

/// Events per page.
pub const PER_PAGE: i64 = 50;

/// The events of `project` older than `before` (an id), newest first: about the project, or
/// company-wide about one of its members.
async fn events(db: &Db, project: &str, before: Option<i64>, limit: i64) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = "SELECT id, at_ms, event, project_id, actor_id, person_id, device_id, address, detail, facts \
               FROM access_events e WHERE e.id < $1 AND (e.project_id = $2 OR (e.project_id IS NULL AND \
               e.person_id IN (SELECT person_id FROM memberships WHERE project_id = $2))) \
               ORDER BY e.id DESC LIMIT $3";
    on_pool!(db, |p| sqlx::query_as(sql).bind(before.unwrap_or(i64::MAX)).bind(project).bind(limit).fetch_all(p).await)
}

/// The names of the rows of `table` (`people` or `devices`) an event page mentions, by id.
async fn names_in(db: &Db, table: Named, ids: &[&str]) -> Result<HashMap<String, String>, sqlx::Error> {
    let sql = match table {
        Named::People => "SELECT name FROM people WHERE id = $1",
        Named::Devices => "SELECT name FROM devices WHERE id = $1",
    };
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(*id) {
            continue;
        }
        let name: Option<String> = on_pool!(db, |p| sqlx::query_scalar(sql).bind(*id).fetch_optional(p).await)?;
        if let Some(n) = name {
            out.insert(id.to_string(), n);
        }
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Named {
    People,
    Devices,
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

/// What the page can name: people and devices by id, and the project's sites from its reference
/// data, (id, name), to name the sites of a sites change as the people screen does (a site removed
/// since: its id).
#[derive(Debug, Default)]
pub struct Known {
    pub people: HashMap<String, String>,
    pub devices: HashMap<String, String>,
    pub sites: Vec<(String, String)>,
}

impl Known {
    /// A person's name (their id when unknown); `none`'s words when nobody is named.
    fn person(&self, id: Option<&str>, lang: Lang, none: &'static str) -> String {
        id.map_or_else(|| lang.t(none).to_string(), |i| self.people.get(i).cloned().unwrap_or_else(|| i.to_string()))
    }

    /// A device's name (its id when unknown).
    fn device(&self, id: Option<&str>) -> String {
        id.map(|i| self.devices.get(i).cloned().unwrap_or_else(|| i.to_string())).unwrap_or_default()
    }

    /// Who acted, from the facts: a person by name, a device key by its device's name, or the
    /// command line.
    fn via(&self, via: &Via, lang: Lang) -> String {
        match via {
            Via::Person(p) => self.person(Some(p), lang, "acc_someone"),
            Via::Device(d) => fill(lang.t("acc_via_device"), &[("device", &self.device(Some(d)))]),
            Via::CommandLine => lang.t("acc_cli").to_string(),
        }
    }
}

/// `template` with each `{name}` of `slots` replaced, in one pass (a value holding `{…}` stays as
/// it is).
fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| slots.iter().find(|(k, _)| *k == &after[..close]).map(|s| (close, s))) {
            Some((close, (_, value))) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The CSS class of an event's line: its stored name, for the events this server writes.
fn class(event: &str) -> &'static str {
    use crate::access::audit::Event as E;
    [
        E::SignIn,
        E::SignInFailed,
        E::SignOut,
        E::PasswordSet,
        E::PersonAdded,
        E::MembershipSet,
        E::MembershipRemoved,
        E::PairingCreated,
        E::Paired,
        E::PairingRefused,
        E::DeviceRevoked,
        E::DeviceRenamed,
        E::TokenRotated,
        E::TokenCreated,
    ]
    .into_iter()
    .map(E::as_str)
    .find(|e| *e == event)
    .unwrap_or("other")
}

/// Events in words, consecutive failed sign-ins for the same login folded into one line. An event
/// with facts is said from them in `lang`; an older one (no facts) from its English detail.
pub fn lines(events: &[StoredEvent], known: &Known, lang: Lang, when: impl Fn(i64) -> String) -> Vec<Line> {
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
        let mut words = match e.facts() {
            Some(facts) => said(e, &facts, n, known, lang),
            None => said_by_detail(e, n, known, lang),
        };
        if let Some(a) = e.address.as_deref().filter(|a| !a.is_empty()) {
            words.push(' ');
            words.push_str(&fill(lang.t("acc_from"), &[("address", a)]));
        }
        out.push(Line { when: when(e.at_ms), words, event: class(&e.event) });
        i += n;
    }
    out
}

/// An event said from its facts (`n`: failed sign-ins folded into it).
fn said(e: &StoredEvent, facts: &Facts, n: usize, k: &Known, lang: Lang) -> String {
    let t = |key: &'static str| lang.t(key);
    let role = |r: Role| t(super::role_key(r));
    let mut actor = match (&e.actor_id, &e.device_id, facts) {
        // A change to people made with a device key (the event's device is the one acting).
        (
            None,
            Some(d),
            Facts::PersonAdded { .. }
            | Facts::Role { .. }
            | Facts::Removed { .. }
            | Facts::CompanyAdmin { .. }
            | Facts::Sites { .. }
            | Facts::Disabled,
        ) => k.via(&Via::Device(d.clone()), lang),
        _ => k.person(e.actor_id.as_deref(), lang, "acc_cli"),
    };
    let person = k.person(e.person_id.as_deref(), lang, "acc_someone");
    let mut device = k.device(e.device_id.as_deref());
    let mut n = n.to_string();
    let (mut detail, mut login, mut minutes, mut role_w, mut project) =
        (String::new(), String::new(), String::new(), "", String::new());
    let (mut from, mut to, mut name, mut tail) = (String::new(), String::new(), String::new(), String::new());
    let key = match facts {
        Facts::Plain => match e.event.as_str() {
            "sign_in" => "acc_ev_sign_in",
            "sign_out" => "acc_ev_sign_out",
            "password_set" => "acc_ev_password_set",
            _ => return said_by_detail(e, 1, k, lang),
        },
        Facts::Login { login: l } => {
            login = masked(l);
            if n == "1" { "acc_ev_sign_in_failed_one" } else { "acc_ev_sign_in_failed" }
        }
        Facts::PersonAdded { company_admin: true } => "acc_ev_person_added_admin",
        Facts::PersonAdded { company_admin: false } => "acc_ev_person_added",
        Facts::Role { before, after } => {
            detail = before.map(|b| format!("{} → ", role(b))).unwrap_or_default() + role(*after);
            "acc_ev_membership_set"
        }
        Facts::Removed { role: r } => {
            detail = role(*r).to_string();
            "acc_ev_membership_removed"
        }
        Facts::CompanyAdmin { admin: true } => "acc_ev_company_admin",
        Facts::CompanyAdmin { admin: false } => "acc_ev_company_admin_off",
        Facts::Sites { sites } if sites.is_empty() => {
            detail = t("acc_sites_all").to_string();
            "acc_ev_sites_set"
        }
        Facts::Sites { sites } => {
            let ids: Vec<&str> = sites.iter().map(String::as_str).collect();
            detail = super::admin_people::site_words(&ids, &k.sites, lang);
            "acc_ev_sites_set"
        }
        Facts::Disabled => "acc_ev_disabled",
        Facts::PairingCode { minutes: m, via } => {
            actor = k.via(via, lang);
            minutes = m.to_string();
            "acc_ev_pairing_code"
        }
        Facts::Paired { device_name, role: r, refresh, .. } => {
            device = device_name.clone();
            role_w = role(*r);
            if *refresh { "acc_ev_paired_refresh" } else { "acc_ev_paired_as" }
        }
        Facts::PairingRefused { reason } => {
            detail = t(refusal_key(reason)).to_string();
            "acc_ev_pairing_refused"
        }
        Facts::DeviceRevoked { via, same_handset_as } => {
            actor = k.via(via, lang);
            if let Some(other) = same_handset_as {
                tail = fill(t("acc_same_phone"), &[("device", &k.device(Some(other)))]);
            }
            "acc_ev_device_revoked_by"
        }
        Facts::LeftProject => "acc_ev_left_project",
        Facts::DeviceRenamed { from: f, to: n, via } => {
            actor = k.via(via, lang);
            (from, to) = (f.clone(), n.clone());
            "acc_ev_device_renamed_to"
        }
        Facts::TokenRotated { role: r, via, .. } => {
            actor = k.via(via, lang);
            role_w = role(*r);
            "acc_ev_token_rotated_for"
        }
        Facts::TokenCreated { role: r, project: p, name: d, count } => {
            actor = k.via(&Via::CommandLine, lang);
            (role_w, project, name) = (role(*r), p.clone(), d.clone());
            if *count == 1 {
                "acc_ev_token_created_one"
            } else {
                n = count.to_string();
                "acc_ev_token_created_many"
            }
        }
    };
    let mut words = fill(
        t(key),
        &[
            ("actor", &actor),
            ("person", &person),
            ("device", &device),
            ("login", &login),
            ("n", &n),
            ("detail", &detail),
            ("minutes", &minutes),
            ("role", role_w),
            ("project", &project),
            ("from", &from),
            ("to", &to),
            ("name", &name),
        ],
    );
    words.push_str(&tail);
    words
}

/// The key of a refused pairing's reason (`PairingError`'s answer code).
fn refusal_key(reason: &str) -> &'static str {
    match reason {
        "code_unknown" => "acc_refused_code_unknown",
        "code_used" => "acc_refused_code_used",
        "code_expired" => "acc_refused_code_expired",
        "person_disabled" => "acc_refused_person_disabled",
        "no_projects" => "acc_refused_no_projects",
        _ => "acc_refused_other",
    }
}

/// An event written before facts were kept, said from its English detail as it always was.
fn said_by_detail(e: &StoredEvent, n: usize, k: &Known, lang: Lang) -> String {
    let role_words = |detail: &str| {
        detail
            .split(" -> ")
            .map(|r| r.parse::<Role>().map_or(r.to_string(), |r| lang.t(super::role_key(r)).to_string()))
            .collect::<Vec<_>>()
            .join(" → ")
    };
    let key: &'static str = match e.event.as_str() {
        "sign_in" => "acc_ev_sign_in",
        "sign_in_failed" if n > 1 => "acc_ev_sign_in_failed",
        "sign_in_failed" => "acc_ev_sign_in_failed_one",
        "sign_out" if e.detail.starts_with("disabled") => "acc_ev_disabled",
        "sign_out" => "acc_ev_sign_out",
        "password_set" => "acc_ev_password_set",
        "person_added" => "acc_ev_person_added",
        "membership_set" if e.detail.starts_with("sites: ") => "acc_ev_sites_set",
        "membership_set" => "acc_ev_membership_set",
        "membership_removed" => "acc_ev_membership_removed",
        "pairing_created" => "acc_ev_pairing_created",
        "paired" => "acc_ev_paired",
        "pairing_refused" => "acc_ev_pairing_refused",
        "device_revoked" => "acc_ev_device_revoked",
        "device_renamed" => "acc_ev_device_renamed",
        "token_rotated" => "acc_ev_token_rotated",
        "token_created" => "acc_ev_token_created",
        _ => "acc_ev_sign_out",
    };
    let detail = match (class(&e.event), e.detail.strip_prefix("sites: ")) {
        ("membership_set", Some("all")) => lang.t("acc_sites_all").to_string(),
        // Older rows joined the ids by ", " (an id holding ", " is named wrongly here, hence facts).
        ("membership_set", Some(ids)) => {
            super::admin_people::site_words(&ids.split(", ").collect::<Vec<_>>(), &k.sites, lang)
        }
        ("membership_set" | "membership_removed", _) => role_words(&e.detail),
        _ => e.detail.clone(),
    };
    fill(
        lang.t(key),
        &[
            ("actor", &k.person(e.actor_id.as_deref(), lang, "acc_cli")),
            ("person", &k.person(e.person_id.as_deref(), lang, "acc_someone")),
            ("login", &masked(&e.detail)),
            ("n", &n.to_string()),
            ("detail", &detail),
        ],
    )
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
    let facts: Vec<Option<Facts>> = found.iter().map(StoredEvent::facts).collect();
    let people: Vec<&str> =
        found.iter().flat_map(|e| [e.actor_id.as_deref(), e.person_id.as_deref()]).flatten().collect();
    // Devices named by the event or its facts (the acting device, the handset's other row).
    let devices: Vec<&str> = found
        .iter()
        .zip(&facts)
        .flat_map(|(e, f)| {
            let via = match f {
                Some(
                    Facts::PairingCode { via: Via::Device(d), .. }
                    | Facts::DeviceRevoked { via: Via::Device(d), .. }
                    | Facts::DeviceRenamed { via: Via::Device(d), .. }
                    | Facts::TokenRotated { via: Via::Device(d), .. },
                ) => Some(d.as_str()),
                _ => None,
            };
            let other = match f {
                Some(Facts::DeviceRevoked { same_handset_as: Some(d), .. }) => Some(d.as_str()),
                _ => None,
            };
            [e.device_id.as_deref(), via, other]
        })
        .flatten()
        .collect();
    let mut known = Known {
        people: names_in(&state.db, Named::People, &people).await.map_err(WebError::internal)?,
        devices: names_in(&state.db, Named::Devices, &devices).await.map_err(WebError::internal)?,
        sites: Vec::new(),
    };
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_audit_title");
    // Times in the project's first site's zone (UTC, said so, when it has none).
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let zone = set.sites.first().map_or("", |site| site.time_zone.as_str());
    known.sites = set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect();
    let lang = c.lang;
    let lines = lines(&found, &known, lang, |ms| super::format::instant(ms, zone, lang));
    Ok(render(&AuditPage { c, lines, older, paged: before.is_some() })?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::audit::Event;

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
            facts: None,
        }
    }

    /// An event as this server writes it now: its facts, and the detail made from them.
    fn with_facts(id: i64, event: Event, actor: Option<&str>, person: Option<&str>, facts: Facts) -> StoredEvent {
        let mut e = ev(id, event.as_str(), actor, person, None, &facts.detail());
        e.facts = Some(serde_json::to_string(&facts).expect("json"));
        e
    }

    #[test]
    fn older_events_read_from_their_detail_and_failures_fold() {
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
        let known = Known { people: names, sites: sites.to_vec(), ..Known::default() };
        let en = lines(&events, &known, Lang::En, |ms| ms.to_string());
        assert_eq!(en.len(), 5);
        assert_eq!(en[0].words, "王建国 signed in from 10.0.0.5");
        assert_eq!(en[1].words, "3 failed sign-ins for 138… from 10.0.0.5");
        assert_eq!(en[2].words, "李强 made 王建国 foreman → supervisor");
        let zh = lines(&events, &known, Lang::ZhCn, |ms| ms.to_string());
        assert_eq!(zh[0].words, "王建国 登录 （来自 10.0.0.5）");
        assert_eq!(zh[1].words, "138… 登录失败 3 次 （来自 10.0.0.5）");
        assert_eq!(zh[2].words, "李强 将 王建国 设为工长 → 生产经理");
        assert_eq!(en[3].words, "李强 set 王建国's sites: 东区工地 (S1), S3");
        assert_eq!(zh[3].words, "李强 将 王建国 的工地设为 东区工地 (S1)、S3");
        assert_eq!(en[4].words, "李强 set 王建国's sites: All sites");
        assert_eq!(zh[4].words, "李强 将 王建国 的工地设为 全部工地");
        assert!(!en.iter().any(|l| l.words.contains("13812345678")), "whole numbers are not shown");
    }
    #[test]
    fn events_with_facts_read_in_the_page_language() {
        let people = HashMap::from([("p1".to_string(), "王建国".to_string()), ("a".to_string(), "李强".to_string())]);
        let devices =
            HashMap::from([("d1".to_string(), "王建国的手机".to_string()), ("d2".to_string(), "平板".to_string())]);
        // A site id holding ", " is one site, named as such.
        let sites = vec![("A, B".to_string(), "南区, 一标段".to_string()), ("S1".to_string(), "东区工地".to_string())];
        let known = Known { people, devices, sites };
        let token = Facts::TokenCreated { role: Role::Admin, project: "P1".into(), name: "device".into(), count: 1 };
        let mut revoked = with_facts(
            5,
            Event::DeviceRevoked,
            Some("a"),
            None,
            Facts::DeviceRevoked { via: Via::Person("a".into()), same_handset_as: Some("d1".into()) },
        );
        revoked.device_id = Some("d9".into());
        let events = vec![
            with_facts(10, Event::TokenCreated, None, None, token),
            with_facts(
                9,
                Event::PairingCreated,
                None,
                Some("p1"),
                Facts::PairingCode { minutes: 30, via: Via::CommandLine },
            ),
            with_facts(
                8,
                Event::MembershipSet,
                Some("a"),
                Some("p1"),
                Facts::Sites { sites: vec!["A, B".into(), "S1".into()] },
            ),
            with_facts(
                7,
                Event::MembershipSet,
                Some("a"),
                Some("p1"),
                Facts::Role { before: Some(Role::Foreman), after: Role::Supervisor },
            ),
            with_facts(
                6,
                Event::DeviceRenamed,
                None,
                None,
                Facts::DeviceRenamed { from: "旧手机".into(), to: "平板".into(), via: Via::Device("d2".into()) },
            ),
            revoked,
            with_facts(4, Event::PairingRefused, None, None, Facts::PairingRefused { reason: "code_expired".into() }),
            with_facts(3, Event::MembershipSet, Some("a"), Some("p1"), Facts::CompanyAdmin { admin: true }),
            with_facts(
                2,
                Event::TokenCreated,
                None,
                None,
                Facts::TokenCreated { role: Role::Foreman, project: "P1".into(), name: "负载".into(), count: 300 },
            ),
        ];
        // The detail kept for the API and the throttle is today's English text.
        assert_eq!(events[0].detail, "admin on P1 from the command line");
        assert_eq!(events[1].detail, "valid 30 min, from the command line");
        assert_eq!(events[2].detail, "sites: A, B, S1");
        let zh: Vec<String> =
            lines(&events, &known, Lang::ZhCn, |ms| ms.to_string()).into_iter().map(|l| l.words).collect();
        assert_eq!(zh[0], "命令行 创建了设备密钥：项目 P1 的管理员");
        assert_eq!(zh[1], "命令行 为 王建国 生成了配对码，30 分钟内有效");
        assert_eq!(zh[2], "李强 将 王建国 的工地设为 南区, 一标段 (A, B)、东区工地 (S1)");
        assert_eq!(zh[3], "李强 将 王建国 设为工长 → 生产经理");
        assert_eq!(zh[4], "设备“平板” 将设备“旧手机”重命名为“平板”");
        assert_eq!(zh[5], "李强 停用了设备“d9”（与设备“王建国的手机”为同一部手机）");
        assert_eq!(zh[6], "配对码被拒绝（已过期）");
        assert_eq!(zh[7], "李强 将 王建国 设为公司管理员");
        assert_eq!(zh[8], "命令行 创建了 300 个设备密钥“负载”：项目 P1 的工长");
        // No English word is left on the 中文 lines of the command line (the project id aside).
        for line in &zh[..2] {
            assert!(!line.replace("P1", "").chars().any(|c| c.is_ascii_alphabetic()), "{line}");
        }
        let en: Vec<String> =
            lines(&events, &known, Lang::En, |ms| ms.to_string()).into_iter().map(|l| l.words).collect();
        assert_eq!(en[0], "the command line created a device key: admin on project P1");
        assert_eq!(en[1], "the command line made a pairing code for 王建国, valid 30 minutes");
        assert_eq!(en[2], "李强 set 王建国's sites: 南区, 一标段 (A, B), 东区工地 (S1)");
        assert_eq!(en[5], "李强 revoked the device “d9” (the same phone as “王建国的手机”)");
        assert_eq!(en[6], "A pairing code was refused (expired)");
        assert_eq!(en[8], "the command line created 300 device keys “负载”: foreman on project P1");
    }

    /// A change to people made in a device key's session names the device, not the command line
    /// (which is what an event with neither a person nor a device means).
    #[test]
    fn people_changed_with_a_device_key_name_the_device() {
        let people = HashMap::from([("p1".to_string(), "王建国".to_string())]);
        let devices = HashMap::from([("d2".to_string(), "办公室电脑".to_string())]);
        let sites = vec![("S1".to_string(), "东区工地".to_string())];
        let known = Known { people, devices, sites };
        let mut by_key =
            with_facts(2, Event::MembershipSet, None, Some("p1"), Facts::Sites { sites: vec!["S1".into()] });
        by_key.device_id = Some("d2".into());
        let cli = with_facts(1, Event::PersonAdded, None, Some("p1"), Facts::PersonAdded { company_admin: false });
        let zh: Vec<String> = lines(&[by_key.clone(), cli.clone()], &known, Lang::ZhCn, |ms| ms.to_string())
            .into_iter()
            .map(|l| l.words)
            .collect();
        assert_eq!(zh[0], "设备“办公室电脑” 将 王建国 的工地设为 东区工地 (S1)");
        assert_eq!(zh[1], "命令行 添加了 王建国");
        let en: Vec<String> =
            lines(&[by_key, cli], &known, Lang::En, |ms| ms.to_string()).into_iter().map(|l| l.words).collect();
        assert_eq!(en[0], "the device “办公室电脑” set 王建国's sites: 东区工地 (S1)");
        assert_eq!(en[1], "the command line added 王建国");
    }

    #[test]
    fn every_reason_and_role_has_words_in_both_languages() {
        for reason in ["code_unknown", "code_used", "code_expired", "person_disabled", "no_projects", "refused"] {
            let key = refusal_key(reason);
            assert_ne!(Lang::ZhCn.t(key), key, "{reason}");
        }
        for key in [
            "acc_via_device",
            "acc_ev_person_added_admin",
            "acc_ev_company_admin",
            "acc_ev_company_admin_off",
            "acc_ev_pairing_code",
            "acc_ev_paired_as",
            "acc_ev_paired_refresh",
            "acc_ev_left_project",
            "acc_ev_device_revoked_by",
            "acc_same_phone",
            "acc_ev_device_renamed_to",
            "acc_ev_token_rotated_for",
            "acc_ev_token_created_one",
            "acc_ev_token_created_many",
        ] {
            assert_ne!(Lang::En.t(key), key);
            // The 中文 text, its slots aside, has no Latin letters.
            let zh = Lang::ZhCn.t(key);
            let words: String = zh.split('{').map(|part| part.split_once('}').map_or(part, |(_, rest)| rest)).collect();
            assert!(!words.chars().any(|c| c.is_ascii_alphabetic()), "{key}: {zh}");
        }
    }

    #[test]
    fn fill_replaces_each_slot_once() {
        assert_eq!(fill("{a} and {b} {c}", &[("a", "{b}"), ("b", "2")]), "{b} and 2 {c}");
        assert_eq!(fill("no slots {", &[]), "no slots {");
    }
}
