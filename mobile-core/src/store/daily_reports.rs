//! Daily report PDFs (施工日志, issue 23) fetched from the server and kept for offline reading:
//! `GET /v1/daily-reports/{site}/{date}/pdf?lang=..` with the device's token, `If-None-Match` with the
//! kept ETag (a 304 costs no download), streamed into the media folder (`reports/`) under a name that
//! carries the content's hash, then recorded in `daily_report_files` (migration 0006). A file is
//! complete before its row points at it, and a row is replaced only by a complete new file, so a
//! crash or a cancel leaves at worst an unreferenced file. Without a connection the kept file is
//! answered (`from_cache`).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use record_schema::now_ms;
use sha2::{Digest, Sha256};

use super::http::{Method, Request};
use super::{Cancel, Store};
use crate::error::{Error, Result};

/// Largest PDF accepted: a day with many photos is a few MB of thumbnails; anything near this is
/// not a daily report.
pub const MAX_REPORT_BYTES: u64 = 50 * 1024 * 1024;

/// Longest a report's download may take.
const REPORT_TIMEOUT: Duration = Duration::from_secs(120);

/// The language a report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportLang {
    ZhCn,
    En,
}

impl ReportLang {
    /// As the server's `lang` parameter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportLang::ZhCn => "zh-CN",
            ReportLang::En => "en",
        }
    }
}

/// Which report: a project's site and day, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    pub project_id: String,
    pub site_id: String,
    pub date: NaiveDate,
    pub lang: ReportLang,
}

/// A daily report PDF on this phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReportFile {
    pub path: PathBuf,
    /// The report's version on the server (1, 2, ...: a new one when the day's records change).
    pub version: i64,
    pub byte_size: u64,
    /// When the server last confirmed or sent this file.
    pub fetched_at_ms: i64,
    /// The server could not be reached: this is the file kept from an earlier fetch.
    pub from_cache: bool,
    /// The server answered 304: the kept file is current and nothing was downloaded.
    pub not_modified: bool,
    /// PDF bytes this call downloaded (0 when not modified or from the cache).
    pub downloaded_bytes: u64,
}

/// A kept report's row.
#[derive(sqlx::FromRow)]
struct Kept {
    file_name: String,
    etag: Option<String>,
    version: i64,
    byte_size: i64,
    fetched_at_ms: i64,
}

/// What the server answered.
enum Fetched {
    NotModified,
    /// A complete PDF in a temporary file in the reports folder.
    File {
        temp: PathBuf,
        sha256: String,
        size: u64,
        etag: Option<String>,
        version: Option<i64>,
    },
}

impl Store {
    /// The report of `key` from the server at `base_url` as the device holding `token` (any device
    /// token of the report's project). Answers the kept file when the server says it has not
    /// changed (304) or cannot be reached (`from_cache`); `Error::Offline` when unreachable and
    /// nothing is kept. The server finding no records that day is `Error::NoDailyReport` (and a
    /// kept copy is dropped: it describes records that are gone); more than `MAX_REPORT_BYTES` is
    /// `Error::TooLarge`. `cancel` abandons the download (`Error::Cancelled`), keeping what was kept.
    pub async fn fetch_daily_report(
        &self,
        base_url: &str,
        token: &str,
        key: &ReportKey,
        cancel: &Cancel,
    ) -> Result<DailyReportFile> {
        check_key(key)?;
        let kept = self.kept_report(key).await?;
        let etag =
            kept.as_ref().filter(|(k, path)| path.is_file() && k.etag.is_some()).and_then(|(k, _)| k.etag.clone());
        let url = format!(
            "{}/v1/daily-reports/{}/{}/pdf?lang={}",
            base_url.trim().trim_end_matches('/'),
            encode_path(&key.site_id),
            key.date,
            key.lang.as_str()
        );
        let folder = self.media.reports();
        fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let fetched =
            cancel.run(self.download(&url, token, etag.as_deref(), &folder, cancel, &key.site_id, key.date)).await;
        let now = now_ms();
        match fetched {
            Ok(Fetched::NotModified) => {
                let Some((k, path)) = kept else {
                    return Err(Error::Sync("the server answered 304 to a request without an ETag".into()));
                };
                sqlx::query(
                    "UPDATE daily_report_files SET fetched_at_ms = ? \
                     WHERE project_id = ? AND site_id = ? AND report_date = ? AND lang = ?",
                )
                .bind(now)
                .bind(&key.project_id)
                .bind(&key.site_id)
                .bind(key.date.to_string())
                .bind(key.lang.as_str())
                .execute(&self.pool)
                .await?;
                Ok(DailyReportFile { fetched_at_ms: now, not_modified: true, ..file_of(&k, path, false) })
            }
            Ok(Fetched::File { temp, sha256, size, etag, version }) => {
                if let Err(e) = cancel.check() {
                    discard(&temp);
                    return Err(e);
                }
                let name = format!(
                    "{}/{}/{}-{}-{}.pdf",
                    encode_path(&key.project_id),
                    encode_path(&key.site_id),
                    key.date,
                    key.lang.as_str(),
                    &sha256[..16]
                );
                let path = self.media.reports().join(&name);
                if let Err(e) = place(&temp, &path) {
                    discard(&temp);
                    return Err(e);
                }
                let version = version.unwrap_or_else(|| kept.as_ref().map_or(0, |(k, _)| k.version));
                sqlx::query(
                    "INSERT INTO daily_report_files \
                     (project_id, site_id, report_date, lang, file_name, etag, version, byte_size, fetched_at_ms) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, site_id, report_date, lang) DO UPDATE SET \
                     file_name = excluded.file_name, etag = excluded.etag, version = excluded.version, \
                     byte_size = excluded.byte_size, fetched_at_ms = excluded.fetched_at_ms",
                )
                .bind(&key.project_id)
                .bind(&key.site_id)
                .bind(key.date.to_string())
                .bind(key.lang.as_str())
                .bind(&name)
                .bind(&etag)
                .bind(version)
                .bind(i64::try_from(size).unwrap_or(i64::MAX))
                .bind(now)
                .execute(&self.pool)
                .await?;
                // The previous file, once nothing points at it.
                if let Some((_, old)) = kept.filter(|(_, old)| *old != path) {
                    discard(&old);
                }
                Ok(DailyReportFile {
                    path,
                    version,
                    byte_size: size,
                    fetched_at_ms: now,
                    from_cache: false,
                    not_modified: false,
                    downloaded_bytes: size,
                })
            }
            Err(Error::Offline(reason)) => match kept.filter(|(_, path)| path.is_file()) {
                Some((k, path)) => Ok(file_of(&k, path, true)),
                None => Err(Error::Offline(reason)),
            },
            Err(e @ Error::NoDailyReport { .. }) => {
                if let Some((_, path)) = kept {
                    self.forget_report(key).await?;
                    discard(&path);
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// `fetch_daily_report` from the server this phone is paired with, with the token of the
    /// report's project; `Error::NotFound` when the phone is not paired or does not hold the project.
    pub async fn fetch_paired_daily_report(&self, key: &ReportKey, cancel: &Cancel) -> Result<DailyReportFile> {
        let (server, token) = self.paired_endpoint(&key.project_id).await?;
        self.fetch_daily_report(&server, &token, key, cancel).await
    }

    /// The report of `key` as last fetched, without asking the server (`from_cache`); `None` when
    /// none was fetched, or its file is gone (an OS clearing space).
    pub async fn cached_daily_report(&self, key: &ReportKey) -> Result<Option<DailyReportFile>> {
        check_key(key)?;
        Ok(self.kept_report(key).await?.filter(|(_, path)| path.is_file()).map(|(k, path)| file_of(&k, path, true)))
    }

    async fn kept_report(&self, key: &ReportKey) -> Result<Option<(Kept, PathBuf)>> {
        let kept: Option<Kept> = sqlx::query_as(
            "SELECT file_name, etag, version, byte_size, fetched_at_ms FROM daily_report_files \
             WHERE project_id = ? AND site_id = ? AND report_date = ? AND lang = ?",
        )
        .bind(&key.project_id)
        .bind(&key.site_id)
        .bind(key.date.to_string())
        .bind(key.lang.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(kept.map(|k| {
            let path = self.media.reports().join(&k.file_name);
            (k, path)
        }))
    }

    async fn forget_report(&self, key: &ReportKey) -> Result<()> {
        sqlx::query(
            "DELETE FROM daily_report_files WHERE project_id = ? AND site_id = ? AND report_date = ? AND lang = ?",
        )
        .bind(&key.project_id)
        .bind(&key.site_id)
        .bind(key.date.to_string())
        .bind(key.lang.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn check_key(key: &ReportKey) -> Result<()> {
    record_schema::validate::check_required("project_id", &key.project_id)?;
    record_schema::validate::check_required("site_id", &key.site_id)?;
    Ok(())
}

fn file_of(k: &Kept, path: PathBuf, from_cache: bool) -> DailyReportFile {
    DailyReportFile {
        path,
        version: k.version,
        byte_size: u64::try_from(k.byte_size).unwrap_or(0),
        fetched_at_ms: k.fetched_at_ms,
        from_cache,
        not_modified: false,
        downloaded_bytes: 0,
    }
}

/// Best-effort file removal (a leftover costs only space).
fn discard(path: &Path) {
    let _ = super::MediaDir::remove(path);
}

/// A name part safe in a URL path and as a file name: letters, digits, `-` and `_` as they are,
/// every other byte as `%XX` (so `.`, `/` and `..` never reach the file system as such).
fn encode_path(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Moves a complete temporary file to `path` (its folder made first), durably.
fn place(temp: &Path, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    fs::rename(temp, path).map_err(|e| Error::io(path, e))?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

impl Store {
    /// The request on the store's transport, then a 200's body into a temporary file in `folder` (hashed, checked
    /// to be a PDF, at most `MAX_REPORT_BYTES`); `cancel` is checked before the request and before the file is
    /// written.
    #[allow(clippy::too_many_arguments)]
    async fn download(
        &self,
        url: &str,
        token: &str,
        etag: Option<&str>,
        folder: &Path,
        cancel: &Cancel,
        site: &str,
        date: NaiveDate,
    ) -> Result<Fetched> {
        cancel.check()?;
        let mut request = Request::new(Method::Get, url, REPORT_TIMEOUT, MAX_REPORT_BYTES)
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept", "application/pdf");
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        let resp = match self.exchange(request).await {
            Err(Error::TooLarge { .. }) => {
                return Err(Error::TooLarge { what: "daily report".into(), limit: MAX_REPORT_BYTES });
            }
            other => other?,
        };
        match resp.status {
            304 => return Ok(Fetched::NotModified),
            200 => {}
            status => return Err(refusal(status, &resp.text(), site, date)),
        }
        let header = |name: &str| resp.header(name).map(str::to_string);
        let (etag, version) = (header("etag"), header("x-report-version").and_then(|v| v.parse::<i64>().ok()));
        // A 200 that is not a PDF is someone else's page (a Wi-Fi login, a proxy): the server was not reached.
        if !resp.body.starts_with(b"%PDF-") {
            return Err(Error::Offline(format!("{url}: the answer is not a PDF (a network login page?)")));
        }
        cancel.check()?;
        let (temp, body) = (folder.join(format!(".{}.partial", uuid::Uuid::new_v4())), resp.body);
        let write = tokio::task::spawn_blocking(move || -> Result<Fetched> {
            let written = (|| -> Result<Fetched> {
                let mut file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
                file.write_all(&body).map_err(|e| Error::io(&temp, e))?;
                file.sync_all().map_err(|e| Error::io(&temp, e))?;
                let sha256 = hex::encode(Sha256::digest(&body));
                Ok(Fetched::File { temp: temp.clone(), sha256, size: body.len() as u64, etag, version })
            })();
            if written.is_err() {
                discard(&temp);
            }
            written
        });
        write.await.map_err(|e| Error::Internal(format!("report writer: {e}")))?
    }
}

/// A status other than 200 and 304 as a typed error.
fn refusal(status: u16, body: &str, site: &str, date: NaiveDate) -> Error {
    #[derive(serde::Deserialize, Default)]
    struct ErrorBody {
        #[serde(default)]
        field: Option<String>,
        #[serde(default)]
        message: String,
    }
    let e: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let message = if e.message.is_empty() { body.trim().to_string() } else { e.message };
    match status {
        404 => Error::NoDailyReport { site_id: site.to_string(), date: date.to_string() },
        401 | 403 => Error::Unauthorized(message),
        400 => record_schema::ValidationError::new(e.field.as_deref().unwrap_or("date"), message).into(),
        // A gateway in front of a server that is down: as good as unreachable.
        502 | 504 => Error::Offline(format!("the server answered {status}: {message}")),
        _ => Error::Server { status, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_their_folder() {
        assert_eq!(encode_path("S1"), "S1");
        assert_eq!(encode_path("../x"), "%2E%2E%2Fx");
        assert_eq!(encode_path("三号楼"), "%E4%B8%89%E5%8F%B7%E6%A5%BC");
    }
}
