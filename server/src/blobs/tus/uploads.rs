//! Upload storage: the rows of the `uploads` table (`Upload`, `load`), the partial files under
//! `Blobs::uploads_dir` (`truncate`, `discard`), an upload's expiry and the sweeper that deletes
//! expired ones, and `complete`, which checks a finished file and records it as a blob.

use std::sync::Arc;

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::blobs::Blobs;
use crate::blobs::image::{PhotoProblem, check};
use crate::db::{BeginWrite, Db, TokenGrant, on_pool};
use crate::error::ApiError;
use crate::state::AppState;

/// How long an unfinished upload lives, in ms.
fn ttl_ms(blobs: &Blobs) -> i64 {
    i64::try_from(blobs.upload_ttl.as_millis()).unwrap_or(i64::MAX)
}

/// When an unfinished upload created at `created_at_ms` expires, in ms since the epoch.
pub(super) fn expires_at_ms(blobs: &Blobs, created_at_ms: i64) -> i64 {
    created_at_ms.saturating_add(ttl_ms(blobs))
}

#[derive(Debug)]
pub(super) struct Upload {
    pub(super) length: u64,
    pub(super) offset: u64,
    /// The declared (or, once complete, the received file's) hex SHA-256; '' while undeclared and unfinished.
    pub(super) sha256: String,
    pub(super) metadata: String,
    pub(super) completed: bool,
    created_at_ms: i64,
}

impl Upload {
    /// When this upload expires, if it is unfinished.
    pub(super) fn expires_at_ms(&self, blobs: &Blobs) -> Option<i64> {
        (!self.completed).then(|| expires_at_ms(blobs, self.created_at_ms))
    }

    pub(super) fn is_expired(&self, blobs: &Blobs) -> bool {
        self.expires_at_ms(blobs).is_some_and(|at| at <= record_schema::now_ms())
    }
}

/// An `uploads` row as `load` reads it.
#[derive(sqlx::FromRow)]
struct UploadRow {
    upload_length: i64,
    upload_offset: i64,
    sha256: String,
    metadata: String,
    completed_at_ms: Option<i64>,
    created_at_ms: i64,
}

pub(super) async fn load(db: &Db, id: &str, project: &str) -> Result<Option<Upload>, ApiError> {
    let row: Option<UploadRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT upload_length, upload_offset, sha256, metadata, completed_at_ms, created_at_ms FROM uploads \
         WHERE id = $1 AND project_id = $2"
    )
    .bind(id)
    .bind(project)
    .fetch_optional(p)
    .await)
    .map_err(ApiError::internal)?;
    Ok(row.map(|r| Upload {
        length: u64::try_from(r.upload_length).unwrap_or_default(),
        offset: u64::try_from(r.upload_offset).unwrap_or_default(),
        sha256: r.sha256,
        metadata: r.metadata,
        completed: r.completed_at_ms.is_some(),
        created_at_ms: r.created_at_ms,
    }))
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Deletes unfinished uploads past their expiry (rows and partial files), skipping any a request is writing.
/// Returns how many went.
pub async fn sweep_expired(db: &Db, blobs: &Arc<Blobs>) -> Result<usize, ApiError> {
    let cutoff = record_schema::now_ms().saturating_sub(ttl_ms(blobs));
    let ids: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT id FROM uploads WHERE completed_at_ms IS NULL AND created_at_ms <= $1"
    )
    .bind(cutoff)
    .fetch_all(p)
    .await)
    .map_err(ApiError::internal)?;
    let mut swept = 0;
    for id in ids {
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

pub(super) async fn truncate(path: &std::path::Path, len: u64) -> Result<(), ApiError> {
    let f = tokio::fs::OpenOptions::new().write(true).open(path).await.map_err(ApiError::internal)?;
    f.set_len(len).await.map_err(ApiError::internal)?;
    f.sync_all().await.map_err(ApiError::internal)
}

/// Forgets an upload (refused, expired or terminated): its row and its bytes.
pub(super) async fn discard(db: &Db, blobs: &Blobs, id: &str) -> Result<(), ApiError> {
    on_pool!(db, |p| sqlx::query("DELETE FROM uploads WHERE id = $1").bind(id).execute(p).await.map(drop))
        .map_err(ApiError::internal)?;
    // Best effort: no file yet (nothing was written) is fine, and a leftover file only costs disk.
    let _ = tokio::fs::remove_file(blobs.uploads_dir.join(id)).await;
    Ok(())
}

/// All bytes are in: check the file (against the declared hash, if any), store it (once per hash) and let
/// the project read it. Returns the file's hex SHA-256, its address.
pub(super) async fn complete(state: &AppState, grant: &TokenGrant, id: &str, u: &Upload) -> Result<String, ApiError> {
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
    if !u.sha256.is_empty() && hash != u.sha256 {
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
    Ok(hash)
}

struct StoredBlob<'a> {
    sha256: &'a str,
    size: u64,
    checked: &'a crate::blobs::image::Checked,
    thumbnail_size: u64,
}

/// In one transaction: the blob (once per hash), the project's right to read it, the upload done.
async fn record_blob(db: &Db, b: &StoredBlob<'_>, grant: &TokenGrant, upload_id: &str) -> Result<(), sqlx::Error> {
    let now = record_schema::now_ms();
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
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
        // The hash too: an upload that declared none now has one (HEAD and a repeated PATCH name it).
        sqlx::query(
            "UPDATE uploads SET upload_offset = upload_length, completed_at_ms = $1, sha256 = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(b.sha256)
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}
