//! A project's webhook endpoints: the admin's input checked field by field, stored, listed (the
//! secret masked), deleted (with their messages and attempts), and a test message (`ping`).

use serde::Serialize;
use serde_json::{Value, json};

use super::outbox::{self, Endpoint, endpoint_columns};
use super::{EVENTS, PING, formats, sign};
use crate::db::{BeginWrite, Db, Tx, on_pool};

/// Longest URL accepted, in bytes.
pub const MAX_URL: usize = 2000;
/// Longest secret accepted, in bytes.
pub const MAX_SECRET: usize = 500;

/// Why input was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: String,
    pub message: String,
}

fn refuse(field: &str, message: impl Into<String>) -> Refusal {
    Refusal { field: field.into(), message: message.into() }
}

/// A checked endpoint to create.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub format: String,
    pub secret: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// The daily digest's local time (`HH:MM`); none: the server's.
    pub digest_time: Option<String>,
}

/// Checks `POST /v1/webhooks`'s body: `url` (http or https, at most 2,000 bytes), `format`
/// (generic, wecom, dingtalk; default generic), `secret` (generic: a Standard Webhooks key, made
/// when absent), `events` (a list of known event types; empty: all), `enabled` (default true),
/// `digest_time` (`HH:MM`, the daily digest's local time; default the server's).
pub fn parse(body: &Value) -> Result<NewEndpoint, Refusal> {
    let Some(obj) = body.as_object() else {
        return Err(refuse("body", "expected a JSON object"));
    };
    for key in obj.keys() {
        if !matches!(key.as_str(), "url" | "format" | "secret" | "events" | "enabled" | "digest_time") {
            return Err(refuse(key, "unknown field"));
        }
    }
    let url = match obj.get("url") {
        Some(Value::String(u)) => u.trim().to_string(),
        Some(_) => return Err(refuse("url", "expected text")),
        None => return Err(refuse("url", "required")),
    };
    check_url(&url)?;
    let format = match obj.get("format") {
        None | Some(Value::Null) => "generic".to_string(),
        Some(Value::String(f)) if formats::FORMATS.contains(&f.as_str()) => f.clone(),
        Some(_) => return Err(refuse("format", format!("expected one of {}", formats::FORMATS.join(", ")))),
    };
    let secret = match obj.get("secret") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(refuse("secret", "expected text")),
    };
    if secret.len() > MAX_SECRET {
        return Err(refuse("secret", format!("at most {MAX_SECRET} bytes")));
    }
    if secret.chars().any(char::is_control) {
        return Err(refuse("secret", "control characters are not allowed"));
    }
    let secret = match format.as_str() {
        "generic" if secret.is_empty() => sign::new_key(),
        "generic" if sign::standard_key(&secret).is_none() => {
            return Err(refuse("secret", "a whsec_ key must be base64 after its prefix"));
        }
        "wecom" if !secret.is_empty() => {
            return Err(refuse("secret", "WeCom robots take no secret (the key is in the URL)"));
        }
        _ => secret,
    };
    let events = match obj.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => {
            let mut out: Vec<String> = Vec::new();
            for (i, e) in list.iter().enumerate() {
                match e.as_str() {
                    Some(t) if EVENTS.contains(&t) => {
                        if !out.iter().any(|x| x == t) {
                            out.push(t.to_string());
                        }
                    }
                    _ => return Err(refuse(&format!("events[{i}]"), format!("expected one of {}", EVENTS.join(", ")))),
                }
            }
            out
        }
        Some(_) => return Err(refuse("events", "expected a list of event types")),
    };
    let enabled = match obj.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(refuse("enabled", "expected true or false")),
    };
    let digest_time = match obj.get("digest_time") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if super::digest::parse_time(t).is_some() => Some(t.trim().to_string()),
        Some(_) => return Err(refuse("digest_time", "expected HH:MM (24 h, the project's time zone)")),
    };
    Ok(NewEndpoint { url, format, secret, events, enabled, digest_time })
}

fn check_url(url: &str) -> Result<(), Refusal> {
    if url.is_empty() {
        return Err(refuse("url", "required"));
    }
    if url.len() > MAX_URL {
        return Err(refuse("url", format!("at most {MAX_URL} bytes")));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| refuse("url", "must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(refuse("url", "needs a host (and no user:password@)"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("url", "no spaces or control characters"));
    }
    Ok(())
}

/// An endpoint as the API answers it (the secret masked).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Webhook)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    /// `generic` (Standard Webhooks), `wecom` or `dingtalk` (group robots).
    #[schema(example = "generic")]
    pub format: String,
    /// The secret's first 6 and last 4 characters (`****` for a short one, empty for none).
    pub secret_masked: String,
    /// Event types it takes (`record.approved`, …); empty: all.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why the server disabled it (a 410 from the receiver, …), if it did.
    pub disabled_reason: Option<String>,
    /// The name of the device that created it.
    pub created_by: String,
    pub created_at_ms: i64,
    /// The daily digest's local time (`HH:MM`); none: the server's.
    pub digest_time: Option<String>,
}

impl From<&Endpoint> for EndpointView {
    fn from(e: &Endpoint) -> Self {
        EndpointView {
            id: e.id.clone(),
            url: e.url.clone(),
            format: e.format.clone(),
            secret_masked: sign::mask(&e.secret),
            events: e.event_list().into_iter().map(str::to_string).collect(),
            enabled: e.enabled != 0,
            disabled_reason: e.disabled_reason.clone(),
            created_by: e.created_by.clone(),
            created_at_ms: e.created_at_ms,
            digest_time: e.digest_time.clone(),
        }
    }
}

/// Stores a checked endpoint for `project`.
pub async fn create(db: &Db, project: &str, by: &str, n: &NewEndpoint) -> Result<Endpoint, sqlx::Error> {
    const SQL: &str = concat!(
        "INSERT INTO webhook_endpoints (",
        endpoint_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)"
    );
    let e = Endpoint {
        id: format!("wh_{}", uuid::Uuid::now_v7().simple()),
        project_id: project.to_string(),
        url: n.url.clone(),
        format: n.format.clone(),
        secret: n.secret.clone(),
        events: n.events.join(","),
        enabled: i64::from(n.enabled),
        disabled_reason: None,
        created_by: by.to_string(),
        created_at_ms: record_schema::now_ms(),
        digest_time: n.digest_time.clone(),
    };
    on_pool!(db, |p| sqlx::query(SQL)
        .bind(&e.id)
        .bind(&e.project_id)
        .bind(&e.url)
        .bind(&e.format)
        .bind(&e.secret)
        .bind(&e.events)
        .bind(e.enabled)
        .bind(&e.created_by)
        .bind(e.created_at_ms)
        .bind(&e.digest_time)
        .execute(p)
        .await
        .map(drop)?);
    // Its first digest may be due today already.
    super::tasks::wake();
    Ok(e)
}

/// The project's endpoints, oldest first.
pub async fn list(db: &Db, project: &str) -> Result<Vec<Endpoint>, sqlx::Error> {
    const SQL: &str = concat!(
        "SELECT ",
        endpoint_columns!(),
        " FROM webhook_endpoints WHERE project_id = $1 ORDER BY created_at_ms, id"
    );
    on_pool!(db, |p| sqlx::query_as(SQL).bind(project).fetch_all(p).await)
}

/// The endpoint `id` of `project` (another project's is none).
pub async fn get(db: &Db, project: &str, id: &str) -> Result<Option<Endpoint>, sqlx::Error> {
    Ok(outbox::endpoint(db, id).await?.filter(|e| e.project_id == project))
}

/// Deletes an endpoint with its messages and attempts; false when `project` has no such endpoint.
pub async fn delete(db: &Db, project: &str, id: &str) -> Result<bool, sqlx::Error> {
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        let gone = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND project_id = $2")
            .bind(id)
            .bind(project)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM webhook_attempts WHERE endpoint_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM webhook_outbox WHERE endpoint_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Enables or disables an endpoint of `project` (enabling clears why it was disabled); false when
/// there is no such endpoint.
pub async fn set_enabled(db: &Db, project: &str, id: &str, on: bool) -> Result<bool, sqlx::Error> {
    const SQL: &str =
        "UPDATE webhook_endpoints SET enabled = $1, disabled_reason = $2 WHERE id = $3 AND project_id = $4";
    let why = (!on).then_some("disabled by an admin");
    let n = on_pool!(db, |p| sqlx::query(SQL)
        .bind(i64::from(on))
        .bind(why)
        .bind(id)
        .bind(project)
        .execute(p)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Enqueues a `ping` for this endpoint only; returns the message id.
pub async fn ping(db: &Db, e: &Endpoint, by: &str) -> Result<String, sqlx::Error> {
    let now = record_schema::now_ms();
    let data = json!({"project_id": e.project_id, "endpoint_id": e.id, "message": format!("Fieldledger test message from {by}")});
    let body = super::payload(PING, now, data).to_string();
    let id = on_pool!(db, |p| {
        let mut tx: Tx = p.begin_write().await?.into();
        let id = outbox::insert(&mut tx, e, PING, &body, now).await?;
        tx.commit().await?;
        id
    });
    super::wake();
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_field() {
        let field = |v: Value| parse(&v).err().map(|r| r.field);
        assert_eq!(field(json!({})), Some("url".into()));
        assert_eq!(field(json!({"url": "ftp://x"})), Some("url".into()));
        assert_eq!(field(json!({"url": format!("https://x/{}", "a".repeat(2000))})), Some("url".into()));
        assert_eq!(field(json!({"url": "https://x", "format": "slack"})), Some("format".into()));
        assert_eq!(field(json!({"url": "https://x", "events": ["record.approved", "nope"]})), Some("events[1]".into()));
        assert_eq!(field(json!({"url": "https://x", "secret": "whsec_!!"})), Some("secret".into()));
        assert_eq!(field(json!({"url": "https://x", "colour": 1})), Some("colour".into()));
        assert_eq!(field(json!({"url": "https://x", "enabled": "yes"})), Some("enabled".into()));
        assert_eq!(field(json!({"url": "https://x", "digest_time": "7:30"})), Some("digest_time".into()));
    }

    #[test]
    fn generic_gets_a_key() {
        let n = parse(&json!({"url": "http://127.0.0.1:9/x"})).expect("ok");
        assert!(n.secret.starts_with(sign::KEY_PREFIX));
        assert!(sign::standard_key(&n.secret).is_some());
    }
}
