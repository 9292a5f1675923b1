//! tus 1.0 resumable uploads at `/v1/uploads` (core, creation, checksum, termination and expiration extensions) and the blob
//! reads at `/v1/blobs/{sha256}`. Every route needs a device token; uploads and blobs are scoped to
//! the token's project, and anything of another project is simply not found.
//!
//! The bytes received so far are in `<data dir>/uploads/<id>`, the offset that counts is the
//! database's: a chunk is fsynced before the offset moves, and leftovers of a request cut short are
//! cut off before the next chunk, so a killed server resumes exactly where HEAD says.
//!
//! An unfinished upload expires `Blobs::upload_ttl` after its creation (its responses say when, in
//! `Upload-Expires`): afterwards it answers 410 and a sweeper deletes its row and partial file. A client may
//! also terminate it at once with DELETE.
//!
//! The routes are listed in `crate::routes` (`tus_routes`), with `tus_headers` on the uploads.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::Blobs;
use super::image::{PhotoProblem, check};
use crate::auth::Device;
use crate::db::{Db, TokenGrant, on_pool};
use crate::error::ApiError;
use crate::state::AppState;

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,checksum,termination,expiration";
pub const TUS_CHECKSUMS: &str = "sha1,sha256";

fn not_found() -> ApiError {
    ApiError::not_found("id", "no such upload in this project")
}

fn expired() -> ApiError {
    ApiError::new(StatusCode::GONE, "expired", "id", "this unfinished upload expired and was deleted; create a new one")
}

/// How long an unfinished upload lives, in ms.
fn ttl_ms(blobs: &Blobs) -> i64 {
    i64::try_from(blobs.upload_ttl.as_millis()).unwrap_or(i64::MAX)
}

/// When an unfinished upload created at `created_at_ms` expires, in ms since the epoch.
fn expires_at_ms(blobs: &Blobs, created_at_ms: i64) -> i64 {
    created_at_ms.saturating_add(ttl_ms(blobs))
}

/// `Upload-Expires` takes an RFC 9110 HTTP date.
fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Every tus request but OPTIONS must say `Tus-Resumable: 1.0.0` (else 412); every response says it.
pub(crate) async fn tus_headers(request: Request, next: Next) -> Response {
    let version = request.headers().get("tus-resumable").and_then(|v| v.to_str().ok()).map(str::trim);
    let mut response = if request.method() != Method::OPTIONS && version != Some(TUS_VERSION) {
        let mut r = ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "unsupported_version",
            "Tus-Resumable",
            format!("this server speaks tus {TUS_VERSION}; send `Tus-Resumable: {TUS_VERSION}`"),
        )
        .into_response();
        r.headers_mut().insert("tus-version", HeaderValue::from_static(TUS_VERSION));
        r
    } else {
        next.run(request).await
    };
    response.headers_mut().insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

/// Server capabilities.
pub(crate) async fn options(Device(_): Device, State(state): State<AppState>) -> Result<Response, ApiError> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("tus-version", TUS_VERSION)
        .header("tus-extension", TUS_EXTENSIONS)
        .header("tus-max-size", state.blobs.max_upload.to_string())
        .header("tus-checksum-algorithm", TUS_CHECKSUMS)
        .body(Body::empty())
        .map_err(ApiError::internal)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| v.to_str().map(str::trim).map_err(|_| ApiError::bad_request(name, "the header is not ASCII text")))
        .transpose()
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    let v = header_str(headers, name)?
        .ok_or_else(|| ApiError::bad_request(name, format!("the `{name}` header is required")))?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(name, format!("`{name}` must be a non-negative integer, got {v:?}")));
    }
    v.parse().map_err(|_| ApiError::bad_request(name, format!("`{name}` is out of range")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
pub fn parse_metadata(raw: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(format!("bad key {key:?}"));
        }
        let value = base64::engine::general_purpose::STANDARD
            .decode(value)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
            .map_err(|_| format!("the value of {key:?} is not base64"))?;
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("{key:?} appears twice"));
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug)]
struct Upload {
    length: u64,
    offset: u64,
    sha256: String,
    metadata: String,
    completed: bool,
    created_at_ms: i64,
}

impl Upload {
    /// When this upload expires, if it is unfinished.
    fn expires_at_ms(&self, blobs: &Blobs) -> Option<i64> {
        (!self.completed).then(|| expires_at_ms(blobs, self.created_at_ms))
    }

    fn is_expired(&self, blobs: &Blobs) -> bool {
        self.expires_at_ms(blobs).is_some_and(|at| at <= record_schema::now_ms())
    }
}

async fn load(db: &Db, id: &str, project: &str) -> Result<Option<Upload>, ApiError> {
    type Row = (i64, i64, String, String, Option<i64>, i64);
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(
        "SELECT upload_length, upload_offset, sha256, metadata, completed_at_ms, created_at_ms FROM uploads \
         WHERE id = $1 AND project_id = $2"
    )
    .bind(id)
    .bind(project)
    .fetch_optional(p)
    .await)
    .map_err(ApiError::internal)?;
    Ok(row.map(|(length, offset, sha256, metadata, completed, created_at_ms)| Upload {
        length: u64::try_from(length).unwrap_or_default(),
        offset: u64::try_from(offset).unwrap_or_default(),
        sha256,
        metadata,
        completed: completed.is_some(),
        created_at_ms,
    }))
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Creation: `Upload-Length` and `Upload-Metadata` with `sha256` (hex SHA-256 of the whole file),
/// optional `filename` and `mime`. A file this project already has is complete at once.
pub(crate) async fn create(
    Device(grant): Device,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::bad_request(
            "Upload-Defer-Length",
            "deferred lengths are not supported: send Upload-Length",
        ));
    }
    let length = header_u64(&headers, "upload-length").map_err(|mut e| {
        e.field = Some("Upload-Length".into());
        e
    })?;
    if length > state.blobs.max_upload {
        return Err(ApiError::too_large(
            "Upload-Length",
            format!("{length} bytes is over this server's limit of {} bytes", state.blobs.max_upload),
        ));
    }
    if length == 0 {
        return Err(ApiError::bad_request("Upload-Length", "an empty file is not a photo"));
    }
    let raw = header_str(&headers, "upload-metadata")?.unwrap_or_default().to_string();
    let metadata = parse_metadata(&raw).map_err(|e| ApiError::bad_request("Upload-Metadata", e))?;
    let text = |key: &str, max: usize| -> Result<Option<String>, ApiError> {
        match metadata.iter().find(|(k, _)| k == key) {
            None => Ok(None),
            Some((_, v)) => match String::from_utf8(v.clone()) {
                Ok(s) if s.len() <= max => Ok(Some(s)),
                _ => Err(ApiError::bad_request(
                    "Upload-Metadata",
                    format!("`{key}` must be UTF-8 text of at most {max} bytes"),
                )),
            },
        }
    };
    let sha256 = text("sha256", 64)?.map(|s| s.to_ascii_lowercase()).filter(|s| is_sha256_hex(s)).ok_or_else(|| {
        ApiError::bad_request("Upload-Metadata", "`sha256` (the hex SHA-256 of the whole file) is required")
    })?;
    let filename = text("filename", 255)?;
    let mime = text("mime", 100)?.or(text("filetype", 100)?);

    let db = &state.db;
    let have: Option<(i64,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT b.byte_size FROM blobs b JOIN blob_projects bp ON bp.sha256 = b.sha256 WHERE b.sha256 = $1 AND bp.project_id = $2"
    )
    .bind(&sha256)
    .bind(&grant.project_id)
    .fetch_optional(p)
    .await)
    .map_err(ApiError::internal)?;
    let now = record_schema::now_ms();
    let duplicate = have.is_some_and(|(size,)| size == to_i64(length));
    let (offset, completed) = if duplicate { (length, Some(now)) } else { (0, None) };
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO uploads (id, project_id, device_id, sha256, upload_length, upload_offset, metadata, filename, mime, \
         created_at_ms, completed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
    .bind(&id)
    .bind(&grant.project_id)
    .bind(&grant.device_id)
    .bind(&sha256)
    .bind(to_i64(length))
    .bind(to_i64(offset))
    .bind(&raw)
    .bind(&filename)
    .bind(&mime)
    .bind(now)
    .bind(completed)
    .execute(p)
    .await
    .map(drop))
    .map_err(ApiError::internal)?;
    tracing::info!(upload = %id, sha256 = %sha256, length, duplicate, project = %grant.project_id, "upload created");
    let mut b = Response::builder()
        .status(StatusCode::CREATED)
        .header("location", format!("/v1/uploads/{id}"))
        .header("upload-offset", offset.to_string());
    if completed.is_none() {
        b = b.header("upload-expires", http_date(expires_at_ms(&state.blobs, now)));
    }
    b.body(Body::empty()).map_err(ApiError::internal)
}

/// HEAD: where the upload stands.
pub(crate) async fn status(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let u = load(&state.db, &id, &grant.project_id).await?.ok_or_else(not_found)?;
    if u.is_expired(&state.blobs) {
        if let Some(_claim) = state.blobs.claim(&id) {
            discard(&state.db, &state.blobs, &id).await?;
        }
        return Err(expired());
    }
    let mut b = Response::builder()
        .status(StatusCode::OK)
        .header("upload-offset", u.offset.to_string())
        .header("upload-length", u.length.to_string())
        .header("cache-control", "no-store");
    if !u.metadata.is_empty() {
        b = b.header("upload-metadata", u.metadata.as_str());
    }
    if let Some(at) = u.expires_at_ms(&state.blobs) {
        b = b.header("upload-expires", http_date(at));
    }
    b.body(Body::empty()).map_err(ApiError::internal)
}

enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Sha256(Sha256, Vec<u8>),
}

impl Checksum {
    fn parse(v: &str) -> Result<Checksum, ApiError> {
        let field = "Upload-Checksum";
        let (algo, digest) =
            v.split_once(' ').ok_or_else(|| ApiError::bad_request(field, "expected `<algorithm> <base64 digest>`"))?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(digest.trim())
            .map_err(|_| ApiError::bad_request(field, "the digest is not base64"))?;
        let (c, len) = match algo.trim() {
            "sha1" => (Checksum::Sha1(sha1::Digest::new(), digest), 20),
            "sha256" => (Checksum::Sha256(Sha256::new(), digest), 32),
            other => {
                return Err(ApiError::bad_request(
                    field,
                    format!("algorithm {other:?} is not supported; use one of {TUS_CHECKSUMS}"),
                ));
            }
        };
        if c.expected().len() != len {
            return Err(ApiError::bad_request(field, format!("a {} digest is {len} bytes", algo.trim())));
        }
        Ok(c)
    }

    fn expected(&self) -> &[u8] {
        match self {
            Checksum::Sha1(_, d) | Checksum::Sha256(_, d) => d,
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Sha1(h, _) => sha1::Digest::update(h, data),
            Checksum::Sha256(h, _) => h.update(data),
        }
    }

    fn matches(self) -> bool {
        match self {
            Checksum::Sha1(h, d) => sha1::Digest::finalize(h)[..] == d[..],
            Checksum::Sha256(h, d) => h.finalize()[..] == d[..],
        }
    }
}

/// A PATCH's answer; `expires_at_ms` while the upload is still unfinished.
fn no_content(offset: u64, expires_at_ms: Option<i64>) -> Result<Response, ApiError> {
    let mut b = Response::builder().status(StatusCode::NO_CONTENT).header("upload-offset", offset.to_string());
    if let Some(at) = expires_at_ms {
        b = b.header("upload-expires", http_date(at));
    }
    b.body(Body::empty()).map_err(ApiError::internal)
}

/// DELETE (termination): the client gives up an upload; its row and bytes go at once. A finished upload's
/// photo stays (other records and projects may use it); only the upload is forgotten.
pub(crate) async fn terminate(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let _claim = state
        .blobs
        .claim(&id)
        .ok_or_else(|| ApiError::locked("id", "a request is writing this upload; retry when it is done"))?;
    load(&state.db, &id, &grant.project_id).await?.ok_or_else(not_found)?;
    discard(&state.db, &state.blobs, &id).await?;
    tracing::info!(upload = %id, project = %grant.project_id, "upload terminated");
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).map_err(ApiError::internal)
}

/// Deletes unfinished uploads past their expiry (rows and partial files), skipping any a request is writing.
/// Returns how many went.
pub async fn sweep_expired(db: &Db, blobs: &Arc<Blobs>) -> Result<usize, ApiError> {
    let cutoff = record_schema::now_ms().saturating_sub(ttl_ms(blobs));
    let ids: Vec<(String,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id FROM uploads WHERE completed_at_ms IS NULL AND created_at_ms <= $1"
    )
    .bind(cutoff)
    .fetch_all(p)
    .await)
    .map_err(ApiError::internal)?;
    let mut swept = 0;
    for (id,) in ids {
        if let Some(_claim) = blobs.claim(&id) {
            discard(db, blobs, &id).await?;
            swept += 1;
        }
    }
    if swept > 0 {
        tracing::info!(swept, "expired uploads deleted");
    }
    Ok(swept)
}

/// Runs `sweep_expired` every quarter of the upload life (at least every minute, at most every hour).
pub fn spawn_sweeper(db: Db, blobs: Arc<Blobs>) {
    let every = (blobs.upload_ttl / 4).clamp(std::time::Duration::from_secs(60), std::time::Duration::from_secs(3600));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await; // the first tick is immediate; the server swept before serving
        loop {
            tick.tick().await;
            if let Err(e) = sweep_expired(&db, &blobs).await {
                tracing::warn!(error = %e.message, "sweeping expired uploads failed");
            }
        }
    });
}

/// PATCH: appends the body at `Upload-Offset`. With `Upload-Checksum`, a chunk whose digest differs
/// is dropped (460). The last chunk completes the upload: whole-file hash, image check, thumbnail,
/// blob store.
pub(crate) async fn patch(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // On its own task: when the client hangs up, hyper drops this request's future, but the bytes
    // that arrived must still be fsynced and counted.
    tokio::spawn(async move {
        let mut body = body;
        let stall = state.limits.upload_stall;
        let response =
            write_chunk(grant, state, id, headers, &mut body).await.unwrap_or_else(IntoResponse::into_response);
        // (A stalled body has nothing more to read.)
        if !response.status().is_success() && response.status() != StatusCode::REQUEST_TIMEOUT {
            drain(&mut body, stall).await;
        }
        response
    })
    .await
    .map_err(ApiError::internal)
}

/// Most of a refused chunk read (and dropped) before answering.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// Reads what is left of a refused request's body: closing a connection with unread bytes makes the
/// kernel reset it, and the client may then lose the answer (409, 460, …) that tells it what to do.
/// Gives up when nothing arrives for `stall`.
async fn drain(body: &mut Body, stall: std::time::Duration) {
    let mut seen = 0usize;
    while seen <= DRAIN_LIMIT {
        match tokio::time::timeout(stall, body.frame()).await {
            Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}

/// The answer to a PATCH whose body sent nothing for `stall`: the upload is at `offset` (the bytes
/// that arrived are kept unless the chunk had a checksum) and free for the next PATCH.
fn stalled(offset: u64, stall: std::time::Duration) -> Response {
    let mut r = ApiError::timeout(
        Some("body"),
        format!(
            "no bytes arrived for {} s (the limit, --upload-stall-seconds / FIELDLEDGER_UPLOAD_STALL_SECONDS); \
             the upload is at offset {offset}: PATCH from there",
            stall.as_secs()
        ),
    )
    .into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(offset));
    r
}

async fn write_chunk(
    grant: TokenGrant,
    state: AppState,
    id: String,
    headers: HeaderMap,
    body: &mut Body,
) -> Result<Response, ApiError> {
    let content_type = header_str(&headers, "content-type")?.unwrap_or_default();
    if content_type != "application/offset+octet-stream" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type",
            "a PATCH body must be `Content-Type: application/offset+octet-stream`",
        ));
    }
    let claimed_offset = header_u64(&headers, "upload-offset").map_err(|mut e| {
        e.field = Some("Upload-Offset".into());
        e
    })?;
    let mut checksum = header_str(&headers, "upload-checksum")?.map(Checksum::parse).transpose()?;
    let blobs = state.blobs.clone();
    let _claim = blobs
        .claim(&id)
        .ok_or_else(|| ApiError::locked("id", "another request is writing this upload; retry after HEAD"))?;
    let u = load(&state.db, &id, &grant.project_id).await?.ok_or_else(not_found)?;
    if u.is_expired(&blobs) {
        discard(&state.db, &blobs, &id).await?;
        return Err(expired());
    }
    if claimed_offset != u.offset {
        let mut r = ApiError::new(
            StatusCode::CONFLICT,
            "offset_mismatch",
            "Upload-Offset",
            format!("the upload is at offset {}, not {claimed_offset}", u.offset),
        )
        .into_response();
        r.headers_mut().insert("upload-offset", HeaderValue::from(u.offset));
        return Ok(r);
    }
    let remaining = u.length.saturating_sub(u.offset);
    if let Some(cl) = header_str(&headers, "content-length")?.and_then(|v| v.parse::<u64>().ok())
        && cl > remaining
    {
        return Err(ApiError::too_large(
            "Content-Length",
            format!("{cl} bytes would go past Upload-Length ({remaining} bytes remain)"),
        ));
    }
    if u.completed || remaining == 0 {
        return no_content(u.offset, None);
    }

    let path = blobs.uploads_dir.join(&id);
    let io = |e: std::io::Error| ApiError::internal(format!("upload {}: {e}", path.display()));
    let mut file =
        tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path).await.map_err(io)?;
    // Bytes past the recorded offset are leftovers of a request cut short: drop them.
    file.set_len(u.offset).await.map_err(io)?;
    file.seek(std::io::SeekFrom::Start(u.offset)).await.map_err(io)?;
    let mut written = 0u64;
    let mut broken = false;
    // A client that stops sending mid-body must not hold the upload (its claim) forever: after
    // `upload_stall` without a byte the chunk ends here, like one whose client hung up.
    let stall = state.limits.upload_stall;
    let mut stalled_at = None;
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                stalled_at = Some(stall);
                broken = true;
                break;
            }
        };
        let Ok(frame) = frame else {
            broken = true;
            break;
        };
        let Ok(data) = frame.into_data() else { continue };
        if written + data.len() as u64 > remaining {
            drop(file);
            truncate(&path, u.offset).await?;
            return Err(ApiError::too_large(
                "body",
                format!("the body goes past Upload-Length ({remaining} bytes remain)"),
            ));
        }
        file.write_all(&data).await.map_err(io)?;
        if let Some(c) = checksum.as_mut() {
            c.update(&data);
        }
        written += data.len() as u64;
    }
    if broken && checksum.is_some() {
        // A chunk that cannot be verified is not kept.
        drop(file);
        truncate(&path, u.offset).await?;
        if let Some(stall) = stalled_at {
            return Ok(stalled(u.offset, stall));
        }
        return Err(ApiError::bad_request("body", "the request body broke off before its end"));
    }
    if let Some(c) = checksum.take()
        && !c.matches()
    {
        drop(file);
        truncate(&path, u.offset).await?;
        return Err(ApiError::new(
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            "checksum_mismatch",
            "Upload-Checksum",
            format!("the chunk at offset {} does not match its checksum; it was discarded", u.offset),
        ));
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    let offset = u.offset + written;
    if offset == u.length {
        complete(&state, &grant, &id, &u).await?;
    } else if written > 0 {
        on_pool!(&state.db, |p| sqlx::query(
            "UPDATE uploads SET upload_offset = $1 WHERE id = $2 AND upload_offset = $3"
        )
        .bind(to_i64(offset))
        .bind(&id)
        .bind(to_i64(u.offset))
        .execute(p)
        .await
        .map(drop))
        .map_err(ApiError::internal)?;
    }
    if let Some(stall) = stalled_at
        && offset < u.length
    {
        return Ok(stalled(offset, stall));
    }
    no_content(offset, u.expires_at_ms(&blobs).filter(|_| offset < u.length))
}

async fn truncate(path: &std::path::Path, len: u64) -> Result<(), ApiError> {
    let f = tokio::fs::OpenOptions::new().write(true).open(path).await.map_err(ApiError::internal)?;
    f.set_len(len).await.map_err(ApiError::internal)?;
    f.sync_all().await.map_err(ApiError::internal)
}

/// Forgets an upload (refused, expired or terminated): its row and its bytes.
async fn discard(db: &Db, blobs: &Blobs, id: &str) -> Result<(), ApiError> {
    on_pool!(db, |p| sqlx::query("DELETE FROM uploads WHERE id = $1").bind(id).execute(p).await.map(drop))
        .map_err(ApiError::internal)?;
    // Best effort: no file yet (nothing was written) is fine, and a leftover file only costs disk.
    let _ = tokio::fs::remove_file(blobs.uploads_dir.join(id)).await;
    Ok(())
}

/// All bytes are in: check the file, store it (once per hash) and let the project read it.
async fn complete(state: &AppState, grant: &TokenGrant, id: &str, u: &Upload) -> Result<(), ApiError> {
    let path = state.blobs.uploads_dir.join(id);
    let _permit = state.blobs.checks.acquire().await.map_err(ApiError::internal)?;
    let bytes = bytes::Bytes::from(tokio::fs::read(&path).await.map_err(ApiError::internal)?);
    let for_check = bytes.clone();
    let (hash, checked) = tokio::task::spawn_blocking(move || {
        let hash = hex::encode(Sha256::digest(&for_check));
        (hash, check(&for_check))
    })
    .await
    .map_err(ApiError::internal)?;
    if hash != u.sha256 {
        discard(&state.db, &state.blobs, id).await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hash_mismatch",
            "sha256",
            format!("the file's SHA-256 is {hash}, not the declared {}; the upload was discarded", u.sha256),
        ));
    }
    let checked = match checked {
        Ok(c) => c,
        Err(problem) => {
            discard(&state.db, &state.blobs, id).await?;
            let (status, code) = match problem {
                PhotoProblem::NotAnImage | PhotoProblem::Unsupported(_) => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                }
                PhotoProblem::Damaged(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image"),
                PhotoProblem::TooLarge(_) => (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"),
            };
            return Err(ApiError::new(status, code, "file", format!("{problem}; the upload was discarded")));
        }
    };
    let store = &state.blobs.store;
    let (original, thumb) = (Blobs::original_key(&hash), Blobs::thumbnail_key(&hash));
    if !store.exists(&original).await.map_err(ApiError::internal)? {
        store.put(&original, bytes).await.map_err(ApiError::internal)?;
    }
    let thumb_size = checked.thumbnail.len();
    if !store.exists(&thumb).await.map_err(ApiError::internal)? {
        store.put(&thumb, bytes::Bytes::copy_from_slice(&checked.thumbnail)).await.map_err(ApiError::internal)?;
    }
    let stored = StoredBlob { sha256: &hash, size: u.length, checked: &checked, thumbnail_size: thumb_size as u64 };
    record_blob(&state.db, &stored, grant, id).await.map_err(ApiError::internal)?;
    let _ = tokio::fs::remove_file(&path).await;
    tracing::info!(upload = %id, sha256 = %hash, width = checked.width, height = checked.height, "photo stored");
    Ok(())
}

struct StoredBlob<'a> {
    sha256: &'a str,
    size: u64,
    checked: &'a super::image::Checked,
    thumbnail_size: u64,
}

/// In one transaction: the blob (once per hash), the project's right to read it, the upload done.
async fn record_blob(db: &Db, b: &StoredBlob<'_>, grant: &TokenGrant, upload_id: &str) -> Result<(), sqlx::Error> {
    let now = record_schema::now_ms();
    on_pool!(db, |p| {
        let mut tx = p.begin().await?;
        sqlx::query(
            "INSERT INTO blobs (sha256, byte_size, mime, width, height, thumbnail_size, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(b.sha256)
        .bind(to_i64(b.size))
        .bind(b.checked.mime)
        .bind(i64::from(b.checked.width))
        .bind(i64::from(b.checked.height))
        .bind(to_i64(b.thumbnail_size))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO blob_projects (sha256, project_id, device_id, created_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256, project_id) DO NOTHING",
        )
        .bind(b.sha256)
        .bind(&grant.project_id)
        .bind(&grant.device_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE uploads SET upload_offset = upload_length, completed_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(upload_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

/// The stored blob's mime type, if the project may read it.
pub(crate) async fn readable(db: &Db, sha256: &str, project: &str) -> Result<String, ApiError> {
    let missing = || ApiError::not_found("sha256", "no such photo in this project");
    if !is_sha256_hex(sha256) {
        return Err(missing());
    }
    let row: Option<(String,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT b.mime FROM blobs b JOIN blob_projects bp ON bp.sha256 = b.sha256 WHERE b.sha256 = $1 AND bp.project_id = $2"
    )
    .bind(sha256)
    .bind(project)
    .fetch_optional(p)
    .await)
    .map_err(ApiError::internal)?;
    row.map(|(m,)| m).ok_or_else(missing)
}

pub(crate) async fn serve(blobs: &Arc<Blobs>, key: &str, mime: &str, etag: &str) -> Result<Response, ApiError> {
    let bytes = blobs
        .store
        .get(key)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal(format!("blob {key} is recorded but missing from the blob store")))?;
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", mime)
        .header("etag", format!("\"{etag}\""))
        .header("cache-control", "private, max-age=31536000, immutable")
        .body(Body::from(bytes))
        .map_err(ApiError::internal)
}

/// `GET /v1/blobs/{sha256}`: the original.
pub(crate) async fn original(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let mime = readable(&state.db, &sha256, &grant.project_id).await?;
    serve(&state.blobs, &Blobs::original_key(&sha256), &mime, &sha256).await
}

/// `GET /v1/blobs/{sha256}/thumbnail`: a JPEG at most 320 px on its long side.
pub(crate) async fn thumbnail(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    readable(&state.db, &sha256, &grant.project_id).await?;
    serve(&state.blobs, &Blobs::thumbnail_key(&sha256), "image/jpeg", &format!("{sha256}-thumbnail")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parses_the_tus_format() {
        let m = parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, sha256 YWI=")
            .expect("parses");
        assert_eq!(m[0], ("filename".to_string(), b"world_domination_plan.pdf".to_vec()));
        assert_eq!(m[1], ("is_confidential".to_string(), vec![]));
        assert_eq!(m[2], ("sha256".to_string(), b"ab".to_vec()));
        assert!(parse_metadata("a !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert_eq!(parse_metadata("").expect("empty"), vec![]);
    }

    #[test]
    fn checksums_parse() {
        assert!(Checksum::parse("sha256 AAAA").is_err(), "wrong length");
        assert!(Checksum::parse("md5 AAAA").is_err());
        let mut c = Checksum::parse("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=").expect("sha1 of 'abc'");
        c.update(b"abc");
        assert!(c.matches());
    }
}
