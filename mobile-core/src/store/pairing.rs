//! Pairing (issue 20): the phone exchanges a one-time code (`POST /v1/pair`) for the person's
//! projects, each with its own device token, and keeps them with the server's address in the store
//! (`pairing`, `paired_projects`: migration 0005; the app keeps the store in app-private storage).
//! `sync_all` then syncs each project with its own token, offering only that project's documents:
//! a record of project A never goes out under B's token (the server would refuse it; the phone
//! does not even send it). `refresh_pairing` picks up projects joined or left since.

use std::time::Duration;

use serde::Deserialize;

use super::http::{Method, Request};
use super::{Cancel, Store, SyncReport};
use crate::error::{Error, PairingRefusal, Result};

/// Longest a pairing request may take.
const PAIRING_TIMEOUT: Duration = Duration::from_secs(120);

/// A project this phone holds (its token stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedProject {
    pub project_id: String,
    pub name: String,
    /// `foreman`, `supervisor` or `admin`.
    pub role: String,
}

/// The pairing this phone holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub server_url: String,
    pub handset_id: String,
    pub person_id: String,
    pub person_name: String,
    pub projects: Vec<PairedProject>,
}

#[derive(Deserialize)]
struct ProjectToken {
    project_id: String,
    name: String,
    role: String,
    token: String,
}

#[derive(Deserialize)]
struct PersonRef {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Paired {
    handset_id: String,
    person: PersonRef,
    projects: Vec<ProjectToken>,
}

#[derive(Deserialize)]
struct Refreshed {
    added: Vec<ProjectToken>,
    /// Every project the phone holds after the refresh: any other is dropped (a project left is
    /// revoked on the server at once, so it may not be among `removed`).
    projects: Vec<String>,
}

/// The server's JSON error body.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    message: String,
}

/// SQL (SQLite, `?1` the project) selecting the ids of the documents that belong to a project:
/// its records (by their header's project, indexed in `records`), its reference data, and the
/// approvals and follow-ups of its records. `?1` NULL: every document (the single-token `sync`).
pub(crate) const DOCS_OF_PROJECT: &str = "SELECT id FROM documents WHERE ?1 IS NULL \
     OR id IN (SELECT id FROM records WHERE project_id = ?1) \
     OR id = 'reference:' || ?1 \
     OR (kind = 'approval' AND substr(id, 10) IN (SELECT id FROM records WHERE project_id = ?1)) \
     OR (kind = 'follow_up' AND substr(id, 11) IN (SELECT id FROM records WHERE project_id = ?1))";

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// The paired server's address and `project_id`'s token, for the calls that go online outside
    /// a sync (daily reports, photos). `NotFound` when not paired or the project is not held.
    pub(crate) async fn paired_endpoint(&self, project_id: &str) -> Result<(String, String)> {
        let server: Option<String> =
            sqlx::query_scalar("SELECT server_url FROM pairing WHERE id = 1").fetch_optional(&self.pool).await?;
        let server = server.ok_or_else(|| Error::NotFound { what: "pairing", id: "this phone".into() })?;
        let token: Option<String> = sqlx::query_scalar("SELECT token FROM paired_projects WHERE project_id = ?")
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?;
        let token = token.ok_or_else(|| Error::NotFound { what: "paired project", id: project_id.to_string() })?;
        Ok((server, token))
    }

    /// Pairs this phone with the server at `base_url` using a one-time `code` (as shown or typed:
    /// case and dashes do not matter), naming it `device_name` in the admins' device list. Replaces
    /// any earlier pairing (its projects and tokens). Refused codes are `Error::Pairing` (unknown,
    /// used, expired, or refused for another reason the message gives).
    pub async fn pair(&self, base_url: &str, code: &str, device_name: &str) -> Result<Pairing> {
        record_schema::validate::check_required("code", code)?;
        record_schema::validate::check_required("device_name", device_name)?;
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(
                record_schema::ValidationError::new("base_url", "expected an http:// or https:// address").into()
            );
        }
        let body = serde_json::json!({ "code": code.trim(), "device_name": device_name.trim() });
        let paired: Paired = self.post_json(&format!("{base}/v1/pair"), None, &body).await?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM paired_projects").execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO pairing (id, server_url, handset_id, person_id, person_name, paired_at_ms) \
             VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, \
             handset_id = excluded.handset_id, person_id = excluded.person_id, \
             person_name = excluded.person_name, paired_at_ms = excluded.paired_at_ms",
        )
        .bind(&base)
        .bind(&paired.handset_id)
        .bind(&paired.person.id)
        .bind(&paired.person.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for p in &paired.projects {
            insert_project(&mut tx, p, now).await?;
        }
        tx.commit().await?;
        self.pairing().await?.ok_or_else(|| Error::Internal("the pairing was not kept".into()))
    }

    /// The pairing this phone holds, if any.
    pub async fn pairing(&self) -> Result<Option<Pairing>> {
        let head: Option<(String, String, String, String)> =
            sqlx::query_as("SELECT server_url, handset_id, person_id, person_name FROM pairing WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let Some((server_url, handset_id, person_id, person_name)) = head else { return Ok(None) };
        Ok(Some(Pairing { server_url, handset_id, person_id, person_name, projects: self.projects().await? }))
    }

    /// The projects this phone holds, by project id.
    pub async fn projects(&self) -> Result<Vec<PairedProject>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT project_id, name, role FROM paired_projects ORDER BY project_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(project_id, name, role)| PairedProject { project_id, name, role }).collect())
    }

    /// The server and each project's token; `Error::NotFound` when the phone is not paired.
    pub(super) async fn tokens(&self) -> Result<(String, Vec<(String, String)>)> {
        let server: Option<String> =
            sqlx::query_scalar("SELECT server_url FROM pairing WHERE id = 1").fetch_optional(&self.pool).await?;
        let server = server.ok_or_else(|| Error::NotFound { what: "pairing", id: "this phone".into() })?;
        let tokens: Vec<(String, String)> =
            sqlx::query_as("SELECT project_id, token FROM paired_projects ORDER BY project_id")
                .fetch_all(&self.pool)
                .await?;
        Ok((server, tokens))
    }

    /// Syncs every project this phone holds, each with its own token and only its own documents,
    /// then uploads each project's photos with its token. `progress(project, round, sent,
    /// received)` follows each round. A project the person has left (its token refused, and the
    /// refreshed pairing no longer holding it) is dropped and skipped; any other failure stops the
    /// sync (a revoked phone is `Error::Unauthorized` naming the project); what synced before
    /// stays synced.
    pub async fn sync_all(
        &self,
        mut progress: impl FnMut(&str, u32, u32, u32) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<Vec<(String, SyncReport, super::UploadReport)>> {
        let (server, tokens) = self.tokens().await?;
        let mut out = Vec::new();
        for (project, token) in tokens {
            let named = |e: Error| match e {
                Error::Unauthorized(m) => Error::Unauthorized(format!("project {project}: {m}")),
                other => other,
            };
            let r = match self
                .sync_scoped(&server, &token, Some(&project), Vec::new(), |r, s, g| progress(&project, r, s, g), cancel)
                .await
            {
                // Leaving a project revokes its token on the server at once: if the person left
                // this one, the phone drops it and syncs the others; a revoked phone stays refused.
                Err(Error::Unauthorized(m)) => match self.refresh_pairing().await {
                    Ok(p) if !p.projects.iter().any(|x| x.project_id == project) => continue,
                    _ => return Err(named(Error::Unauthorized(m))),
                },
                other => other.map_err(named)?,
            };
            let u = self
                .upload_photos_scoped(&server, &token, Some(&project), |_, _, _| Ok(()), cancel)
                .await
                .map_err(named)?;
            out.push((project, r, u));
        }
        Ok(out)
    }

    /// Asks the server for projects joined or left since pairing (with any of the phone's
    /// tokens) and keeps the answer: new projects with their tokens, left ones removed.
    pub async fn refresh_pairing(&self) -> Result<Pairing> {
        let (server, tokens) = self.tokens().await?;
        if tokens.is_empty() {
            return Err(Error::NotFound { what: "paired project", id: "this phone".into() });
        }
        // Any live token of the handset will do: a project left has its token revoked, so one
        // refused token is tried past; when all are refused the phone itself is revoked.
        let mut answer = None;
        for (_, token) in &tokens {
            match self.post_json(&format!("{server}/v1/pair/refresh"), Some(token), &serde_json::json!({})).await {
                Err(Error::Unauthorized(m)) => answer = Some(Err(Error::Unauthorized(m))),
                other => {
                    answer = Some(other);
                    break;
                }
            }
        }
        let r: Refreshed = answer.unwrap_or_else(|| Err(Error::Internal("no token was tried".into())))?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for p in &r.added {
            insert_project(&mut tx, p, now).await?;
        }
        for (project, _) in tokens.iter().filter(|(p, _)| !r.projects.contains(p)) {
            sqlx::query("DELETE FROM paired_projects WHERE project_id = ?").bind(project).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.pairing().await?.ok_or_else(|| Error::Internal("the pairing was not kept".into()))
    }

    /// A JSON POST on the store's transport; the JSON answer of a 2xx, typed errors otherwise.
    async fn post_json<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        endpoint: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<T> {
        let mut request = Request::new(Method::Post, endpoint, PAIRING_TIMEOUT, 1024 * 1024)
            .header("Content-Type", "application/json")
            .body(body.to_string().into_bytes());
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let resp = self.exchange(request).await?;
        let (status, bytes) = (resp.status, resp.body);
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|e| Error::Sync(format!("the server's answer to {endpoint} is not understood: {e}")));
        }
        let e: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let message = if e.message.is_empty() { String::from_utf8_lossy(&bytes).into_owned() } else { e.message };
        Err(match (status, e.error.as_str()) {
            (_, "code_unknown") => Error::Pairing { refusal: PairingRefusal::Unknown, message },
            (_, "code_used") => Error::Pairing { refusal: PairingRefusal::Used, message },
            (_, "code_expired") => Error::Pairing { refusal: PairingRefusal::Expired, message },
            (400, _) => record_schema::ValidationError::new(e.field.as_deref().unwrap_or("body"), message).into(),
            (401, _) => Error::Unauthorized(message),
            (403 | 409 | 429, _) => Error::Pairing { refusal: PairingRefusal::Refused, message },
            _ => Error::Sync(format!("the server answered {status}: {message}")),
        })
    }
}

async fn insert_project(tx: &mut sqlx::SqliteConnection, p: &ProjectToken, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO paired_projects (project_id, name, role, token, added_at_ms) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (project_id) DO UPDATE SET name = excluded.name, role = excluded.role, token = excluded.token",
    )
    .bind(&p.project_id)
    .bind(&p.name)
    .bind(&p.role)
    .bind(&p.token)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewSheet;

    async fn ids_of(store: &Store, project: Option<&str>) -> Vec<String> {
        let sql = format!("{DOCS_OF_PROJECT} ORDER BY id");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(project).fetch_all(&store.pool).await.expect("ids")
    }

    /// What `sync_all` offers under a project's token: that project's records and reference data
    /// only; the single-token `sync` offers every document.
    #[tokio::test]
    async fn a_project_offers_only_its_own_documents() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path().join("phone.db"), "王建国").await.expect("open");
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let mut sheets = Vec::new();
        for project in ["P1", "P2", "P10"] {
            let new = NewSheet {
                project_id: project.into(),
                site_id: "S1".into(),
                time_zone: "Asia/Shanghai".into(),
                work_date: today,
                currency: record_schema::Currency::default(),
                note: None,
            };
            sheets.push(store.create_labour_sheet(new).await.expect("sheet").header.id);
        }
        assert_eq!(ids_of(&store, Some("P1")).await, [sheets[0].clone()]);
        assert_eq!(ids_of(&store, Some("P2")).await, [sheets[1].clone()]);
        assert_eq!(ids_of(&store, Some("P3")).await, Vec::<String>::new());
        let mut all = sheets.clone();
        all.sort();
        assert_eq!(ids_of(&store, None).await, all);

        // An observation's follow-up (server-owned) goes with its observation's project, so its
        // updates reach the phone under that project's token.
        let header = record_schema::record::RecordHeader {
            id: String::new(),
            project_id: "P2".into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            author: String::new(),
            created_at_ms: 0,
            voided: None,
        };
        let observation = record_schema::Observation {
            header,
            date: today,
            category: record_schema::ObservationCategory::Safety,
            severity: record_schema::Severity::Low,
            title: "临边".into(),
            description: None,
            place: None,
            gps: None,
            activity: None,
            photos: vec![],
        };
        let obs = store.create_observation(observation).await.expect("observation").header.id;
        let follow_up = record_schema::FollowUp {
            record_id: obs.clone(),
            project_id: "P2".into(),
            status: record_schema::FollowUpStatus::Open,
            assignee: None,
            due: None,
            resolution: None,
            risk_id: None,
            events: vec![],
        };
        let mut doc = automerge::AutoCommit::new();
        follow_up.write(&mut doc).expect("write");
        let follow_up_id = record_schema::FollowUp::document_id(&obs);
        store.import_changes(&follow_up_id, &doc.save()).await.expect("import follow-up");
        let mut p2 = vec![sheets[1].clone(), obs, follow_up_id];
        p2.sort();
        assert_eq!(ids_of(&store, Some("P2")).await, p2);
        assert_eq!(ids_of(&store, Some("P1")).await, [sheets[0].clone()]);
    }
}
