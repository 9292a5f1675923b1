//! Photo originals to the server over tus 1.0 (`/v1/uploads`, docs/sync-protocol.md "Photo uploads"):
//! one upload per photo, created with the photo's SHA-256, sent in ~1 MiB chunks each with an
//! `Upload-Checksum`. The upload URL is kept in `photo_uploads`, so an upload cut off by a lost signal
//! or a killed app resumes from the offset the server reports (HEAD) instead of starting over. A photo
//! the server already has completes at creation without sending a byte.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use record_schema::now_ms;
use record_schema::tus::{CHECKSUM_ALGORITHM, PATCH_CONTENT_TYPE, TUS_VERSION, UPLOADS_PATH, header, meta};
use sha2::{Digest, Sha256};

use super::http::{Method, Request, Transport};
use super::{Cancel, PendingUpload, Store};
use crate::error::{Error, Result};
use crate::store::SyncError;

/// Bytes per PATCH: small enough to lose little on a weak signal, big enough to keep overheads low.
const CHUNK: u64 = 1024 * 1024;
/// Times one photo's upload may fall back (409 offset moved, 460 damaged chunk) before giving up for
/// this sync.
const MAX_RETRIES: u32 = 5;
/// Longest one tus request may take (a chunk on a slow uplink).
const TUS_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest tus answer read (they are short texts).
const MAX_ANSWER: u64 = 64 * 1024;

/// What a pass of photo uploads did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    pub uploaded: u32,
    pub bytes_sent: u64,
    /// Photos the server refused (code `photo_refused`, id = the photo's SHA-256) or that could not
    /// be read; they stay pending.
    pub errors: Vec<SyncError>,
}

impl Store {
    /// Uploads every pending photo original to the server at `base_url` as the device holding
    /// `token`, then marks it uploaded (which frees the phone's copy). `progress(done, total, sha256)`
    /// is called after each photo. Connection failures are `Error::Offline` (resume next time),
    /// a refused token `Error::Unauthorized`; a photo the server refuses is reported and skipped.
    /// An error `progress` returns stops the uploads; so does `cancel` (`Error::Cancelled`): between
    /// photos, between chunks, or by abandoning a request in flight (the server keeps what it
    /// received, and the next sync resumes from its offset). Photos uploaded before stay uploaded.
    pub async fn upload_photos(
        &self,
        base_url: &str,
        token: &str,
        progress: impl FnMut(u32, u32, &str) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<UploadReport> {
        self.upload_photos_scoped(base_url, token, None, progress, cancel).await
    }

    /// `upload_photos` of the photos of one project's records only (`project` none: all), with
    /// that project's token (`sync_all`).
    pub(crate) async fn upload_photos_scoped(
        &self,
        base_url: &str,
        token: &str,
        project: Option<&str>,
        mut progress: impl FnMut(u32, u32, &str) -> Result<()>,
        cancel: &Cancel,
    ) -> Result<UploadReport> {
        let http = Http::new(self.transport(), base_url, token);
        let mut pending = self.pending_uploads().await?;
        if let Some(project) = project {
            let ours: std::collections::HashSet<String> =
                sqlx::query_scalar("SELECT id FROM records WHERE project_id = ?")
                    .bind(project)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .collect();
            pending.retain(|p| p.record_ids.iter().any(|r| ours.contains(r)));
        }
        let total = u32::try_from(pending.len()).unwrap_or(u32::MAX);
        let mut report = UploadReport::default();
        for (i, photo) in pending.iter().enumerate() {
            cancel.check()?;
            match self.upload_one(&http, photo, &mut report.bytes_sent, cancel).await? {
                Ok(()) => report.uploaded += 1,
                Err(message) => {
                    report.errors.push(SyncError { id: photo.sha256.clone(), code: "photo_refused".into(), message })
                }
            }
            progress(u32::try_from(i + 1).unwrap_or(u32::MAX), total, &photo.sha256)?;
        }
        Ok(report)
    }

    /// Outer error: stop the whole pass (offline, token, storage). Inner: this photo was refused.
    /// `cancel` is checked between steps and races every request (abandoning one changes nothing
    /// the phone stores; the server's offset says what arrived).
    async fn upload_one(
        &self,
        http: &Http,
        photo: &PendingUpload,
        sent: &mut u64,
        cancel: &Cancel,
    ) -> Result<Result<(), String>> {
        let length = match std::fs::metadata(&photo.path) {
            Ok(m) => m.len(),
            Err(e) => return Ok(Err(format!("the original {} cannot be read: {e}", photo.path.display()))),
        };
        let mut retries = 0;
        'upload: loop {
            let (url, mut offset) = match self.resume(http, &photo.sha256, length, cancel).await? {
                Some(at) => at,
                None => match self.create(http, photo, length, cancel).await? {
                    Ok(at) => at,
                    Err(refused) => return Ok(Err(refused)),
                },
            };
            while offset < length {
                cancel.check()?;
                let chunk = read_chunk(photo.path.clone(), offset, CHUNK.min(length - offset)).await?;
                let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&chunk));
                let n = chunk.len() as u64;
                let answer = cancel
                    .run(http.call(
                        Method::Patch,
                        &url,
                        vec![
                            ("Content-Type", PATCH_CONTENT_TYPE.into()),
                            (header::UPLOAD_OFFSET, offset.to_string()),
                            (header::UPLOAD_CHECKSUM, format!("{CHECKSUM_ALGORITHM} {digest}")),
                        ],
                        chunk,
                    ))
                    .await?;
                *sent += n;
                match answer.status {
                    204 => offset = answer.offset.unwrap_or(offset + n),
                    // The server's offset moved (another attempt landed) or the chunk arrived damaged:
                    // ask where it stands and go on from there.
                    409 | 460 | 423 if retries < MAX_RETRIES => {
                        retries += 1;
                        continue 'upload;
                    }
                    // The upload is gone (expired, terminated, or discarded after a refused completion):
                    // start a new one.
                    404 | 410 => {
                        self.forget_upload(&photo.sha256).await?;
                        if retries >= MAX_RETRIES {
                            return Ok(Err(format!("the server dropped the upload: {}", answer.body)));
                        }
                        retries += 1;
                        continue 'upload;
                    }
                    _ => {
                        // Completion checks (hash, image) refuse the whole file: start afresh next time.
                        self.forget_upload(&photo.sha256).await?;
                        return Ok(Err(format!("the server answered {}: {}", answer.status, answer.body)));
                    }
                }
            }
            self.mark_photo_uploaded(&photo.sha256).await?;
            self.forget_upload(&photo.sha256).await?;
            return Ok(Ok(()));
        }
    }

    /// The remembered upload of this photo on this server, and the server's offset (HEAD).
    async fn resume(&self, http: &Http, sha256: &str, length: u64, cancel: &Cancel) -> Result<Option<(String, u64)>> {
        let url: Option<String> = sqlx::query_scalar("SELECT url FROM photo_uploads WHERE sha256 = ? AND base_url = ?")
            .bind(sha256)
            .bind(&http.base)
            .fetch_optional(&self.pool)
            .await?;
        let Some(url) = url else { return Ok(None) };
        let answer = cancel.run(http.call(Method::Head, &url, vec![], vec![])).await?;
        match (answer.status, answer.offset, answer.length) {
            (200, Some(offset), Some(l)) if l == length && offset <= length => Ok(Some((url, offset))),
            _ => {
                self.forget_upload(sha256).await?;
                Ok(None)
            }
        }
    }

    /// Creates the upload. Abandoned by `cancel`, a creation the server already made is an upload
    /// nobody resumes; it expires there.
    async fn create(
        &self,
        http: &Http,
        photo: &PendingUpload,
        length: u64,
        cancel: &Cancel,
    ) -> Result<Result<(String, u64), String>> {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        let metadata = format!(
            "{} {},{} {},{} {}",
            meta::SHA256,
            b64(&photo.sha256),
            meta::MIME,
            b64(&photo.mime),
            meta::FILENAME,
            b64(&photo.sha256)
        );
        let endpoint = format!("{}{UPLOADS_PATH}", http.base);
        let answer = cancel
            .run(http.call(
                Method::Post,
                &endpoint,
                vec![(header::UPLOAD_LENGTH, length.to_string()), (header::UPLOAD_METADATA, metadata)],
                vec![],
            ))
            .await?;
        let location = match (answer.status, answer.location) {
            (201, Some(l)) => l,
            (status, _) => return Ok(Err(format!("the server refused the upload ({status}): {}", answer.body))),
        };
        let url = http.resolve(&location);
        sqlx::query(
            "INSERT INTO photo_uploads (sha256, base_url, url, created_at_ms) VALUES (?, ?, ?, ?) \
             ON CONFLICT (sha256) DO UPDATE SET base_url = excluded.base_url, url = excluded.url, created_at_ms = excluded.created_at_ms",
        )
        .bind(&photo.sha256)
        .bind(&http.base)
        .bind(&url)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(Ok((url, answer.offset.unwrap_or(0).min(length))))
    }

    async fn forget_upload(&self, sha256: &str) -> Result<()> {
        sqlx::query("DELETE FROM photo_uploads WHERE sha256 = ?").bind(sha256).execute(&self.pool).await?;
        Ok(())
    }
}

async fn read_chunk(path: PathBuf, offset: u64, len: u64) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        let read = || -> std::io::Result<Vec<u8>> {
            let mut f = std::fs::File::open(&path)?;
            f.seek(SeekFrom::Start(offset))?;
            let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or_default());
            f.take(len).read_to_end(&mut buf)?;
            Ok(buf)
        };
        read().map_err(|e| Error::io(&path, e))
    })
    .await
    .map_err(|e| Error::Internal(format!("upload reader: {e}")))?
}

struct Answer {
    status: u16,
    offset: Option<u64>,
    length: Option<u64>,
    location: Option<String>,
    body: String,
}

/// The tus requests of one pass of uploads: the store's transport, the server and the device's token.
struct Http {
    transport: Arc<dyn Transport>,
    base: String,
    auth: String,
}

impl Http {
    fn new(transport: Arc<dyn Transport>, base_url: &str, token: &str) -> Self {
        Http { transport, base: base_url.trim_end_matches('/').to_string(), auth: format!("Bearer {token}") }
    }

    /// A `Location` (absolute, or a path on the server's origin) as a full URL.
    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            return location.to_string();
        }
        let origin_end = self.base.find("://").map(|i| i + 3).and_then(|s| self.base[s..].find('/').map(|j| s + j));
        let origin = origin_end.map_or(self.base.as_str(), |end| &self.base[..end]);
        if location.starts_with('/') { format!("{origin}{location}") } else { format!("{}/{location}", self.base) }
    }

    /// One tus request. Transport failures are `Offline`, a refused token `Unauthorized`; other statuses are the
    /// caller's to read.
    async fn call(
        &self,
        method: Method,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<Answer> {
        let mut request = Request::new(method, url, TUS_TIMEOUT, MAX_ANSWER)
            .header("Authorization", self.auth.clone())
            .header(header::TUS_RESUMABLE, TUS_VERSION)
            .body(body);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let resp = super::http::exchange(&self.transport, request).await?;
        let text = |name: &str| resp.header(name).map(str::to_string);
        let number = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        let (status, offset, length, location) =
            (resp.status, number(header::UPLOAD_OFFSET), number(header::UPLOAD_LENGTH), text("location"));
        let body = if matches!(method, Method::Head) { String::new() } else { resp.text() };
        if status == 401 || status == 403 {
            return Err(Error::Unauthorized(body));
        }
        if status == 412 || status >= 500 {
            return Err(Error::Sync(format!("{url}: the server answered {status}: {body}")));
        }
        Ok(Answer { status, offset, length, location, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_server() {
        let transport = crate::store::default_transport();
        let h = Http::new(transport.clone(), "http://10.0.0.2:8080/", "t");
        assert_eq!(h.resolve("/v1/uploads/ab"), "http://10.0.0.2:8080/v1/uploads/ab");
        assert_eq!(h.resolve("https://cdn.example/u/1"), "https://cdn.example/u/1");
        let h = Http::new(transport, "https://sync.example.com/fl", "t");
        assert_eq!(h.resolve("/v1/uploads/ab"), "https://sync.example.com/v1/uploads/ab");
    }
}
