//! Photos: attaching one to an expense or a progress report (ingest into the media folder:
//! original, thumbnail, preview; its rows in `photos` and `photo_links`), and the originals still
//! waiting for upload.

use std::path::{Path, PathBuf};

use automerge::AutoCommit;
use record_schema::now_ms;
use record_schema::photo::add_photo;
use record_schema::{PhotoRef, Record, RecordKind};

use super::edit::DocOp;
use super::records::wrong_kind;
use super::{MediaDir, Store};
use crate::error::{Error, Result};
use crate::photo::{self, IngestOptions, PhotoError};

/// A photo whose original has not reached the server yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub sha256: String,
    pub path: PathBuf,
    pub mime: String,
    pub byte_size: u64,
    pub record_ids: Vec<String>,
}

/// A `photos` row waiting for upload, with the records linking it (comma-separated).
#[derive(sqlx::FromRow)]
struct WaitingPhoto {
    sha256: String,
    mime: String,
    byte_size: i64,
    record_ids: Option<String>,
}

/// Where a photo came from, when the app knows better than the file's EXIF.
#[derive(Debug, Clone, Default)]
pub struct PhotoContext {
    pub captured_at_ms: Option<i64>,
    pub location: Option<record_schema::GeoPoint>,
}

impl Store {
    // ---------- photos ----------

    /// Ingests the photo at `path` (hash, thumbnail, preview), keeps the original until it is uploaded,
    /// and adds it to an expense's receipts, a progress report's photos or a wage advance's slips.
    pub async fn attach_photo(&self, record_id: &str, path: &Path, ctx: PhotoContext) -> Result<PhotoRef> {
        // Refuse early, before the expensive part, if the record cannot take photos.
        match self.get(record_id).await? {
            Record::LabourSheet(_) => {
                return Err(wrong_kind(record_id, RecordKind::Expense, RecordKind::LabourSheet));
            }
            r if r.header().voided.is_some() => return Err(Error::Voided { id: record_id.to_string() }),
            _ => {}
        }
        let media = self.media.clone();
        let path = path.to_path_buf();
        let (ingested, original) = tokio::task::spawn_blocking(move || ingest_and_keep(&media, &path))
            .await
            .map_err(|e| Error::Internal(format!("photo worker: {e}")))??;
        // Keep the original for upload, unless the server already has it (the same photo attached
        // again after it was uploaded): nothing would ever upload or free that copy.
        let uploaded: Option<Option<i64>> = sqlx::query_scalar("SELECT uploaded_at_ms FROM photos WHERE sha256 = ?")
            .bind(&ingested.sha256)
            .fetch_optional(&self.pool)
            .await?;
        if !matches!(uploaded, Some(Some(_))) {
            let target = self.media.original(&ingested.sha256);
            tokio::task::spawn_blocking(move || MediaDir::write_once(&target, &original))
                .await
                .map_err(|e| Error::Internal(format!("photo worker: {e}")))??;
        }
        let photo_ref = PhotoRef {
            sha256: ingested.sha256.clone(),
            byte_size: ingested.byte_size,
            width: ingested.width,
            height: ingested.height,
            mime: ingested.mime.to_string(),
            captured_at_ms: ctx.captured_at_ms.or(ingested.captured_at_ms).unwrap_or_else(now_ms),
            location: ctx.location.or(ingested.location),
            thumbnail_sha256: ingested.thumbnail_sha256.clone(),
        };
        photo_ref.validate("photo")?;
        let row = PhotoRow::of(&photo_ref);
        self.edit(record_id, Some(&row), |record, _| {
            let summary = match record {
                Record::Expense(_) => "add receipt photo",
                Record::WageAdvance(_) => "add slip photo",
                _ => "add photo",
            };
            match record {
                Record::Expense(e) => add_photo(&mut e.receipts, &photo_ref),
                Record::ProgressReport(p) => add_photo(&mut p.photos, &photo_ref),
                Record::WageAdvance(a) => add_photo(&mut a.slips, &photo_ref),
                Record::Observation(o) => add_photo(&mut o.photos, &photo_ref),
                Record::LabourSheet(_) => {
                    return Err(wrong_kind(record_id, RecordKind::Expense, RecordKind::LabourSheet));
                }
                Record::DayLog(_) => {
                    return Err(wrong_kind(record_id, RecordKind::Expense, RecordKind::DayLog));
                }
            }
            let written = record.clone();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| written.write(doc));
            Ok((op, summary.to_string(), ()))
        })
        .await?;
        Ok(photo_ref)
    }

    pub async fn pending_uploads(&self) -> Result<Vec<PendingUpload>> {
        let rows: Vec<WaitingPhoto> = sqlx::query_as(
            "SELECT p.sha256, p.mime, p.byte_size, group_concat(l.record_id) AS record_ids FROM photos p \
             LEFT JOIN photo_links l ON l.sha256 = p.sha256 WHERE p.uploaded_at_ms IS NULL \
             GROUP BY p.sha256 ORDER BY p.added_at_ms, p.sha256",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|WaitingPhoto { sha256, mime, byte_size, record_ids }| PendingUpload {
                path: self.media.original(&sha256),
                record_ids: record_ids.map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default(),
                sha256,
                mime,
                byte_size: u64::try_from(byte_size).unwrap_or_default(),
            })
            .collect())
    }

    /// The server has the original: free the phone's copy (thumbnail and preview stay).
    pub async fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        let done = sqlx::query("UPDATE photos SET uploaded_at_ms = ? WHERE sha256 = ? AND uploaded_at_ms IS NULL")
            .bind(now_ms())
            .bind(sha256)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM photos WHERE sha256 = ?")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
            if known.is_none() {
                return Err(Error::NotFound { what: "photo", id: sha256.to_string() });
            }
        }
        MediaDir::remove(&self.media.original(sha256))
    }
}

/// Reads, ingests and keeps a photo's files (original, thumbnail, preview) in the media folder.
fn ingest_and_keep(media: &MediaDir, path: &Path) -> Result<(photo::IngestedPhoto, Vec<u8>)> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound { path: shown.clone() },
        _ => PhotoError::Unreadable { path: shown.clone(), reason: e.to_string() },
    })?;
    let ingested = photo::ingest_bytes(&bytes, &IngestOptions::default())?;
    MediaDir::write_once(&media.thumbnail(&ingested.sha256), &ingested.thumbnail_jpeg)?;
    MediaDir::write_once(&media.preview(&ingested.sha256), &ingested.preview_jpeg)?;
    Ok((ingested, bytes))
}

pub(super) struct PhotoRow {
    sha256: String,
    mime: String,
    byte_size: i64,
    width: i64,
    height: i64,
    captured_at_ms: i64,
    thumbnail_sha256: String,
}

impl PhotoRow {
    fn of(p: &PhotoRef) -> Self {
        PhotoRow {
            sha256: p.sha256.clone(),
            mime: p.mime.clone(),
            byte_size: p.byte_size as i64,
            width: i64::from(p.width),
            height: i64::from(p.height),
            captured_at_ms: p.captured_at_ms,
            thumbnail_sha256: p.thumbnail_sha256.clone(),
        }
    }

    pub(super) async fn insert(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        record_id: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO photos (sha256, mime, byte_size, width, height, captured_at_ms, thumbnail_sha256, added_at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&self.sha256)
        .bind(&self.mime)
        .bind(self.byte_size)
        .bind(self.width)
        .bind(self.height)
        .bind(self.captured_at_ms)
        .bind(&self.thumbnail_sha256)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO photo_links (sha256, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(&self.sha256)
            .bind(record_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
