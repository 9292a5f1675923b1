//! The HTTP handlers: the tus routes at `/v1/uploads` (OPTIONS, POST creation, HEAD, PATCH, DELETE)
//! and the blob reads at `/v1/blobs/{sha256}` (`readable` and `serve` are shared with the web
//! screens). They speak the protocol (`protocol.rs`) over the upload storage (`uploads.rs`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::protocol::{
    Checksum, TUS_CHECKSUMS, TUS_EXTENSIONS, TUS_VERSION, header_str, header_u64, http_date, is_sha256_hex,
    parse_metadata,
};
use record_schema::tus::{header, meta};

use super::uploads::{complete, discard, expires_at_ms, load, to_i64, truncate};
use crate::auth::Device;
use crate::blobs::Blobs;
use crate::db::{Db, TokenGrant, on_pool};
use crate::error::ApiError;
use crate::state::AppState;

fn not_found() -> ApiError {
    ApiError::not_found("id", "no such upload in this project")
}

fn expired() -> ApiError {
    ApiError::new(StatusCode::GONE, "expired", "id", "this unfinished upload expired and was deleted; create a new one")
}

/// Server capabilities. (The same answer at `/v1/uploads/{id}`: described in `openapi/records.rs`.)
#[utoipa::path(
    options,
    path = "/v1/uploads",
    tag = "uploads",
    operation_id = "upload_options",
    summary = "tus capabilities",
    description = "The tus version, extensions, largest upload and checksum algorithms.",
    responses(
        (status = 204, description = "What this tus server supports",
         headers(
            ("Tus-Resumable" = String, description = "`1.0.0`"),
            ("Tus-Version" = String, description = "`1.0.0`"),
            ("Tus-Extension" = String, description = "`creation,checksum,termination,expiration`"),
            ("Tus-Max-Size" = u64, description = "The largest upload, in bytes"),
            ("Tus-Checksum-Algorithm" = String, description = "`sha1,sha256`"),
         )),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn options(Device(_): Device, State(state): State<AppState>) -> Result<Response, ApiError> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::TUS_VERSION, TUS_VERSION)
        .header(header::TUS_EXTENSION, TUS_EXTENSIONS)
        .header(header::TUS_MAX_SIZE, state.blobs.max_upload.to_string())
        .header(header::TUS_CHECKSUM_ALGORITHM, TUS_CHECKSUMS)
        .body(Body::empty())
        .map_err(ApiError::internal)
}

/// Creation: `Upload-Length` and `Upload-Metadata` with optional `sha256` (hex SHA-256 of the whole file),
/// `filename` and `mime` (or `filetype`). A declared file this project already has is complete at once
/// (`Upload-Offset` = `Upload-Length`); a PATCH to it then succeeds without writing (see `write_chunk`).
#[utoipa::path(
    post,
    path = "/v1/uploads",
    tag = "uploads",
    operation_id = "upload_create",
    summary = "Create an upload (tus)",
    description = "Declares a photo's size and metadata; PATCH its bytes to `Location`. `sha256` in the metadata is optional (the server hashes what arrives; declared, it is checked, and a file the project already has is complete at once: `Upload-Offset` equals `Upload-Length`, and a PATCH from 0 then succeeds without writing).",
    params(
        ("Tus-Resumable" = String, Header, description = "Must be `1.0.0`", example = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "The whole file's size in bytes: 1 up to the server's limit (`Tus-Max-Size`)", minimum = 1),
        ("Upload-Metadata" = Option<String>, Header, description = "Comma-separated `key base64(value)` pairs: `sha256` (optional: the hex SHA-256 of the \
            whole file; a file the project already has is then complete at once, and the file is checked against it), \
            `filename` (at most 255 bytes), `mime` or `filetype` (at most 100 bytes)"),
    ),
    responses(
        (status = 201, description = "Created; PATCH the bytes to `Location` (a file the project already has: `Upload-Offset` is `Upload-Length`, done)",
         headers(
            ("Location" = String, description = "`/v1/uploads/{id}`"),
            ("Upload-Offset" = u64, description = "0, or `Upload-Length` for a file the project already has"),
            ("Upload-Expires" = String, description = "When the unfinished upload expires (an HTTP date)"),
            ("Tus-Resumable" = String, description = "`1.0.0`"),
         )),
        (status = 400, description = "A missing or bad `Upload-Length` or `Upload-Metadata`, or `Upload-Defer-Length`", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 412, description = "`Tus-Resumable` missing or not `1.0.0`", body = crate::openapi::ErrorBody),
        (status = 413, description = "`Upload-Length` over the server's limit", body = crate::openapi::ErrorBody),
    )
)]
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
    // Optional: stock tus clients send only `filename` / `filetype`; the server hashes what arrives. Declared,
    // it lets a file the project has complete at once, and the whole file is checked against it.
    let declared = match text(meta::SHA256, 64)?.map(|s| s.to_ascii_lowercase()) {
        Some(s) if is_sha256_hex(&s) => Some(s),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Upload-Metadata",
                "`sha256` must be the hex SHA-256 of the whole file (64 hex digits), or left out",
            ));
        }
        None => None,
    };
    let filename = text(meta::FILENAME, 255)?;
    let mime = text(meta::MIME, 100)?.or(text(meta::FILETYPE, 100)?);

    let db = &state.db;
    let have: Option<i64> = match &declared {
        Some(sha256) => on_pool!(db, |p| sqlx::query_scalar(
            "SELECT b.byte_size FROM blobs b JOIN blob_projects bp ON bp.sha256 = b.sha256 \
             WHERE b.sha256 = $1 AND bp.project_id = $2"
        )
        .bind(sha256)
        .bind(&grant.project_id)
        .fetch_optional(p)
        .await)
        .map_err(ApiError::internal)?,
        None => None,
    };
    // Not declared: '' until completion records the hash of what arrived.
    let sha256 = declared.unwrap_or_default();
    let now = record_schema::now_ms();
    let duplicate = have.is_some_and(|size| size == to_i64(length));
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
#[utoipa::path(
    head,
    path = "/v1/uploads/{id}",
    tag = "uploads",
    operation_id = "upload_status",
    summary = "Where an upload stands (tus)",
    description = "The offset received so far, the length, the metadata; once finished, the photo's SHA-256.",
    params(
        ("id" = String, Path, description = "The upload's id (from `Location`)"),
        ("Tus-Resumable" = String, Header, description = "Must be `1.0.0`", example = "1.0.0"),
    ),
    responses(
        (status = 200, description = "Where the upload stands (no body)",
         headers(
            ("Upload-Offset" = u64, description = "Bytes received so far"),
            ("Upload-Length" = u64, description = "The whole file's size"),
            ("Upload-Metadata" = String, description = "As sent at creation (when any)"),
            ("Upload-Expires" = String, description = "When an unfinished upload expires (an HTTP date)"),
            ("Blob-Sha256" = String, description = "A finished upload's photo: `/v1/blobs/{sha256}`"),
            ("Cache-Control" = String, description = "`no-store`"),
            ("Tus-Resumable" = String, description = "`1.0.0`"),
         )),
        (status = 401, description = "No valid token (a HEAD answer has no body)"),
        (status = 404, description = "No such upload in this project (no body)"),
        (status = 410, description = "The unfinished upload expired and was deleted (no body)"),
        (status = 412, description = "`Tus-Resumable` missing or not `1.0.0` (no body)"),
    )
)]
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
    if u.completed && !u.sha256.is_empty() {
        b = b.header(BLOB_SHA256, u.sha256.as_str());
    }
    b.body(Body::empty()).map_err(ApiError::internal)
}

/// The header naming a finished upload's photo (`/v1/blobs/<sha256>`): a client that declared no
/// `sha256` learns there what the server hashed.
const BLOB_SHA256: &str = "blob-sha256";

/// A PATCH's answer; `expires_at_ms` while the upload is still unfinished, `sha256` once it is whole.
fn no_content(offset: u64, expires_at_ms: Option<i64>, sha256: Option<&str>) -> Result<Response, ApiError> {
    let mut b = Response::builder().status(StatusCode::NO_CONTENT).header("upload-offset", offset.to_string());
    if let Some(at) = expires_at_ms {
        b = b.header("upload-expires", http_date(at));
    }
    if let Some(sha) = sha256.filter(|s| !s.is_empty()) {
        b = b.header(BLOB_SHA256, sha);
    }
    b.body(Body::empty()).map_err(ApiError::internal)
}

/// DELETE (termination): the client gives up an upload; its row and bytes go at once. A finished upload's
/// photo stays (other records and projects may use it); only the upload is forgotten.
#[utoipa::path(
    delete,
    path = "/v1/uploads/{id}",
    tag = "uploads",
    operation_id = "upload_terminate",
    summary = "Give up an upload (tus)",
    description = "The upload and its partial bytes go at once; a finished upload's photo stays.",
    params(
        ("id" = String, Path, description = "The upload's id (from `Location`)"),
        ("Tus-Resumable" = String, Header, description = "Must be `1.0.0`", example = "1.0.0"),
    ),
    responses(
        (status = 204, description = "The upload and its bytes are gone (a finished upload's photo stays)",
         headers(("Tus-Resumable" = String, description = "`1.0.0`"))),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such upload in this project", body = crate::openapi::ErrorBody),
        (status = 412, description = "`Tus-Resumable` missing or not `1.0.0`", body = crate::openapi::ErrorBody),
        (status = 423, description = "A request is writing this upload; retry when it is done", body = crate::openapi::ErrorBody),
    )
)]
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

/// PATCH: appends the body at `Upload-Offset`. With `Upload-Checksum`, a chunk whose digest differs
/// is dropped (460). The last chunk completes the upload: whole-file hash, image check, thumbnail,
/// blob store.
#[utoipa::path(
    patch,
    path = "/v1/uploads/{id}",
    tag = "uploads",
    operation_id = "upload_patch",
    summary = "Send bytes of an upload (tus)",
    description = "Appends the body at `Upload-Offset` (fsynced before the offset moves). With `Upload-Checksum`, a chunk that does not match is dropped (460). The last chunk completes the upload: whole-file hash, image check, thumbnail.",
    params(
        ("id" = String, Path, description = "The upload's id (from `Location`)"),
        ("Tus-Resumable" = String, Header, description = "Must be `1.0.0`", example = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Where this chunk goes: the offset HEAD gives"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64 digest>` or `sha256 <base64 digest>` of this chunk; a chunk that does not match is dropped (460)"),
    ),
    request_body(
        content = crate::api::BinaryBody,
        content_type = "application/offset+octet-stream",
        description = "The next bytes of the file, from `Upload-Offset`, not past `Upload-Length`",
    ),
    responses(
        (status = 204, description = "Written and synced; the last chunk completes the upload (whole-file hash, image check, thumbnail)",
         headers(
            ("Upload-Offset" = u64, description = "The new offset"),
            ("Upload-Expires" = String, description = "While unfinished: when the upload expires (an HTTP date)"),
            ("Blob-Sha256" = String, description = "Once whole: the photo's SHA-256 (`/v1/blobs/{sha256}`)"),
            ("Tus-Resumable" = String, description = "`1.0.0`"),
         )),
        (status = 400, description = "A missing or bad `Upload-Offset` or `Upload-Checksum`, or a body that broke off", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such upload in this project", body = crate::openapi::ErrorBody),
        (status = 408, description = "No bytes arrived for the stall limit; `Upload-Offset` says where to go on", body = crate::openapi::ErrorBody,
         headers(("Upload-Offset" = u64, description = "Where the upload stands"))),
        (status = 409, description = "`Upload-Offset` is not where the upload stands", body = crate::openapi::ErrorBody,
         headers(("Upload-Offset" = u64, description = "Where the upload stands"))),
        (status = 410, description = "The unfinished upload expired and was deleted", body = crate::openapi::ErrorBody),
        (status = 412, description = "`Tus-Resumable` missing or not `1.0.0`", body = crate::openapi::ErrorBody),
        (status = 413, description = "The chunk goes past `Upload-Length`", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not `Content-Type: application/offset+octet-stream`; or the whole file is not a JPEG or PNG", body = crate::openapi::ErrorBody),
        (status = 422, description = "The whole file does not match its declared `sha256`, is a damaged image or too large an image", body = crate::openapi::ErrorBody),
        (status = 423, description = "Another request is writing this upload; retry after HEAD", body = crate::openapi::ErrorBody),
        (status = 460, description = "The chunk does not match `Upload-Checksum`; it was dropped", body = crate::openapi::ErrorBody),
    )
)]
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
            drain(&mut body, stall, DRAIN_LIMIT).await;
        }
        response
    })
    .await
    .map_err(ApiError::internal)
}

/// Most of a refused chunk read (and dropped) before answering.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// Reads what is left of a request's body, up to `limit` bytes, without keeping it: closing a connection
/// with unread bytes makes the kernel reset it, and the client may then lose the answer (409, 460, …)
/// that tells it what to do. Gives up when nothing arrives for `stall`.
async fn drain(body: &mut Body, stall: std::time::Duration, limit: usize) {
    let mut seen = 0usize;
    while seen <= limit {
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
    let claim = blobs
        .claim(&id)
        .ok_or_else(|| ApiError::locked("id", "another request is writing this upload; retry after HEAD"))?;
    let u = load(&state.db, &id, &grant.project_id).await?.ok_or_else(not_found)?;
    if u.is_expired(&blobs) {
        discard(&state.db, &blobs, &id).await?;
        return Err(expired());
    }
    let content_length = header_str(&headers, "content-length")?.and_then(|v| v.parse::<u64>().ok());
    if u.completed {
        // Already whole: a file the project had at creation, or a last answer the client lost. Stock clients
        // (tus-js-client) PATCH from 0 after any creation whatever its `Upload-Offset`, so a chunk that fits is
        // read, dropped and answered with the final offset, as if it had just been written: the file is fixed.
        drop(claim);
        if claimed_offset > u.length {
            return Ok(offset_mismatch(u.length, claimed_offset));
        }
        let room = u.length - claimed_offset;
        if let Some(cl) = content_length
            && cl > room
        {
            return Err(ApiError::too_large(
                "Content-Length",
                format!("{cl} bytes would go past Upload-Length ({room} bytes remain)"),
            ));
        }
        drain(body, state.limits.upload_stall, usize::try_from(room).unwrap_or(usize::MAX)).await;
        return no_content(u.length, None, Some(&u.sha256));
    }
    if claimed_offset != u.offset {
        return Ok(offset_mismatch(u.offset, claimed_offset));
    }
    let remaining = u.length.saturating_sub(u.offset);
    if let Some(cl) = content_length
        && cl > remaining
    {
        return Err(ApiError::too_large(
            "Content-Length",
            format!("{cl} bytes would go past Upload-Length ({remaining} bytes remain)"),
        ));
    }
    if remaining == 0 {
        return no_content(u.offset, None, None);
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
    let mut stored = None;
    if offset == u.length {
        stored = Some(complete(&state, &grant, &id, &u).await?);
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
    no_content(offset, u.expires_at_ms(&blobs).filter(|_| offset < u.length), stored.as_deref())
}

/// 409 with the server's offset, so the client can go on from there.
fn offset_mismatch(offset: u64, claimed: u64) -> Response {
    let mut r = ApiError::new(
        StatusCode::CONFLICT,
        "offset_mismatch",
        "Upload-Offset",
        format!("the upload is at offset {offset}, not {claimed}"),
    )
    .into_response();
    r.headers_mut().insert("upload-offset", HeaderValue::from(offset));
    r
}

/// A blob route's `sha256` must be one (64 lower-case hex digits): 400 naming it, before anything is read.
fn well_formed(sha256: &str) -> Result<(), ApiError> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(ApiError::bad_request("sha256", "must be 64 lower-case hex digits"))
    }
}

/// The stored blob's mime type, if the project may read it.
pub(crate) async fn readable(db: &Db, sha256: &str, project: &str) -> Result<String, ApiError> {
    let missing = || ApiError::not_found("sha256", "no such photo in this project");
    if !is_sha256_hex(sha256) {
        return Err(missing());
    }
    let mime: Option<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT b.mime FROM blobs b JOIN blob_projects bp ON bp.sha256 = b.sha256 WHERE b.sha256 = $1 AND bp.project_id = $2"
    )
    .bind(sha256)
    .bind(project)
    .fetch_optional(p)
    .await)
    .map_err(ApiError::internal)?;
    mime.ok_or_else(missing)
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
#[utoipa::path(
    get,
    path = "/v1/blobs/{sha256}",
    tag = "uploads",
    operation_id = "blob_original",
    summary = "A photo",
    description = "The photo as uploaded, if the token's project has it.",
    params(("sha256" = String, Path, description = "The photo's SHA-256 (64 hex digits)", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "The photo as uploaded (JPEG or PNG)",
         content(
            (crate::api::BinaryBody = "image/jpeg"),
            (crate::api::BinaryBody = "image/png"),
         ),
         headers(
            ("ETag" = String, description = "The SHA-256, quoted"),
            ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
         )),
        (status = 400, description = "`sha256` is not 64 lower-case hex digits", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such photo in this project", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn original(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    well_formed(&sha256)?;
    let mime = readable(&state.db, &sha256, &grant.project_id).await?;
    serve(&state.blobs, &Blobs::original_key(&sha256), &mime, &sha256).await
}

/// `GET /v1/blobs/{sha256}/thumbnail`: a JPEG at most 320 px on its long side.
#[utoipa::path(
    get,
    path = "/v1/blobs/{sha256}/thumbnail",
    tag = "uploads",
    operation_id = "blob_thumbnail",
    summary = "A photo's thumbnail",
    description = "A JPEG at most 320 px on its long side.",
    params(("sha256" = String, Path, description = "The photo's SHA-256 (64 hex digits)", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "A JPEG at most 320 px on its long side",
         content_type = "image/jpeg", body = crate::api::BinaryBody,
         headers(
            ("ETag" = String, description = "`\"<sha256>-upright-thumbnail\"`"),
            ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
         )),
        (status = 400, description = "`sha256` is not 64 lower-case hex digits", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such photo in this project", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn thumbnail(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    well_formed(&sha256)?;
    readable(&state.db, &sha256, &grant.project_id).await?;
    let key = ensure_derived(&state.blobs, &sha256, Derived::Thumbnail).await?;
    serve(&state.blobs, &key, "image/jpeg", &format!("{sha256}-upright-thumbnail")).await
}

/// `GET /v1/blobs/{sha256}/preview`: an upright JPEG at most 1280 px on its long side, made as the phone
/// makes its own (`blobs::image::preview`), so a phone that dropped its copy gets it back for ~200 KB
/// instead of the 3–6 MB original. Made on the first request (most are never asked for), one decode
/// per core (`Blobs::checks`), and kept in the blob store for the next.
#[utoipa::path(
    get,
    path = "/v1/blobs/{sha256}/preview",
    tag = "uploads",
    operation_id = "blob_preview",
    summary = "A photo's preview",
    description = "An upright JPEG (quality 82) at most 1280 px on its long side, as the phone makes its preview; a smaller photo is re-encoded at its own size. Made on the first request and kept.",
    params(("sha256" = String, Path, description = "The photo's SHA-256 (64 lower-case hex digits)", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, description = "An upright JPEG at most 1280 px on its long side",
         content_type = "image/jpeg", body = crate::api::BinaryBody,
         headers(
            ("ETag" = String, description = "`\"<sha256>-preview\"`"),
            ("Cache-Control" = String, description = "`private, max-age=31536000, immutable`"),
         )),
        (status = 400, description = "`sha256` is not 64 lower-case hex digits", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such photo in this project", body = crate::openapi::ErrorBody),
    )
)]
pub(crate) async fn preview(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    well_formed(&sha256)?;
    readable(&state.db, &sha256, &grant.project_id).await?;
    let key = ensure_derived(&state.blobs, &sha256, Derived::Preview).await?;
    serve(&state.blobs, &key, "image/jpeg", &format!("{sha256}-preview")).await
}

/// A file made from a photo's original.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Derived {
    /// Made at upload; remade on first use when it predates EXIF orientation (`Blobs::thumbnail_key`).
    Thumbnail,
    /// Made on its first request.
    Preview,
}

/// The blob-store key of `sha256`'s `derived` file, made first if missing: the original decoded in
/// a task of its own (a request that times out or hangs up meanwhile leaves the file made for its
/// retry, and the decode keeps its permit until it ends). Two first requests at once may both make
/// it: the same bytes, and the store's writes are atomic.
pub(crate) async fn ensure_derived(blobs: &Arc<Blobs>, sha256: &str, derived: Derived) -> Result<String, ApiError> {
    let key = match derived {
        Derived::Thumbnail => Blobs::thumbnail_key(sha256),
        Derived::Preview => Blobs::preview_key(sha256),
    };
    if blobs.store.exists(&key).await.map_err(ApiError::internal)? {
        return Ok(key);
    }
    let (blobs, sha256, made) = (blobs.clone(), sha256.to_string(), key.clone());
    tokio::spawn(async move {
        let key = made;
        let _permit = blobs.checks.acquire().await.map_err(ApiError::internal)?;
        // Another request may have made it while this one waited for the permit.
        if blobs.store.exists(&key).await.map_err(ApiError::internal)? {
            return Ok(());
        }
        let original_key = Blobs::original_key(&sha256);
        let original = blobs.store.get(&original_key).await.map_err(ApiError::internal)?.ok_or_else(|| {
            ApiError::internal(format!("blob {original_key} is recorded but missing from the blob store"))
        })?;
        let started = std::time::Instant::now();
        let jpeg = tokio::task::spawn_blocking(move || match derived {
            Derived::Thumbnail => crate::blobs::image::thumbnail(&original),
            Derived::Preview => crate::blobs::image::preview(&original),
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("{derived:?} of {sha256}: {e}")))?;
        let size = jpeg.len();
        blobs.store.put(&key, bytes::Bytes::from(jpeg)).await.map_err(ApiError::internal)?;
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(%sha256, ?derived, bytes = size, ms, "photo file made from the original");
        Ok::<(), ApiError>(())
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(key)
}
