//! `/web/admin/pairing?person=…`: an admin or supervisor makes a one-time pairing code for a person
//! of the project and shows it to them as text and as a QR code (SVG drawn by the server, inline:
//! no script, no style attribute) with its expiry. The GET only asks; the code is made by the
//! POST (CSRF), so a prefetch or a reload never makes codes. Over `crate::access::pairing`, with
//! the rules of `POST /v1/pairing-codes` (`pairing::may_create`: 403 for foremen, 404 for anyone
//! not on the project).

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::session::WebSession;
use super::{Chrome, Fields, WebError, render};
use crate::access::pairing::{self, Maker};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin_pairing.html")]
struct PairingPage {
    c: Chrome,
    heading: String,
    person_id: String,
    /// Empty until a code is made.
    code: String,
    /// The QR code's SVG markup (made here, from the link: nothing of the user's is in it raw).
    qr: String,
    link: String,
    expires: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct PersonQuery {
    person: Option<String>,
}

/// The person (id, name), after checking the session may make them a code.
async fn person(state: &AppState, s: &WebSession, id: Option<&str>) -> Result<(String, String), WebError> {
    let id =
        id.map(str::trim).filter(|p| !p.is_empty()).ok_or_else(|| ApiError::bad_request("person", "which person?"))?;
    pairing::may_create(&state.db, s.grant.role, &s.grant.project_id, id).await?;
    let found = crate::access::people::find(&state.db, id).await.map_err(WebError::internal)?;
    let p = found.ok_or_else(|| ApiError::not_found("person", "no such person on this project"))?;
    Ok((p.id, p.name))
}

/// `GET /web/admin/pairing?person=ID`: whose phone, and the button that makes the code.
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let (person_id, person_name) = person(&state, &s, q.person.as_deref()).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "devices", "pair_title");
    let heading = c.t("pair_heading").replace("{name}", &person_name);
    let page = PairingPage {
        c,
        heading,
        person_id,
        code: String::new(),
        qr: String::new(),
        link: String::new(),
        expires: String::new(),
    };
    Ok(render(&page)?.into_response())
}

/// `POST /web/admin/pairing` (csrf, person): a new code, shown this once with its QR code.
pub async fn create(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let (person_id, person_name) = person(&state, &s, f.get("person")).await?;
    let maker = Maker {
        person_id: s.person.as_ref().map(|p| p.id.as_str()),
        device_id: if s.person.is_none() { Some(&s.grant.device_id) } else { None },
        project_id: Some(&s.grant.project_id),
        address: None,
    };
    let created =
        pairing::create(&state.db, &person_id, pairing::DEFAULT_MINUTES, maker).await.map_err(ApiError::from)?;
    let link = pairing::link(&crate::api::pairing::base_url(&headers), &created.code);
    let qr = pairing::qr_svg(&link).map_err(WebError::internal)?;
    // The XML declaration has no place inside HTML.
    let qr = qr.find("<svg").map_or(qr.clone(), |i| qr[i..].to_string());
    let c = Chrome::new(Some(&s), &headers, &uri, "devices", "pair_title");
    let zone = match crate::reference::store::load(&state.db, &s.grant.project_id).await {
        Ok(set) => set.sites.first().map_or_else(|| "UTC".to_string(), |s| s.time_zone.clone()),
        Err(_) => "UTC".to_string(),
    };
    let expires = c.t("pair_expires").replace("{when}", &super::format::instant(created.expires_at_ms, &zone, c.lang));
    let heading = c.t("pair_heading").replace("{name}", &person_name);
    let page = PairingPage { c, heading, person_id, code: created.code, qr, link, expires };
    Ok(render(&page)?.into_response())
}
