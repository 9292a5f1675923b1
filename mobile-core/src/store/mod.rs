//! The phone's record store: Automerge documents in a local SQLite file (WAL, fsync on commit), a
//! listable index of records, and photos waiting for upload. Every method that changes something
//! validates first and commits in one transaction, so bad input changes nothing and an acknowledged
//! write survives the app being killed.
//!
//! Where things are: `Store`, its opening and its hot documents here; `records.rs` (read, list,
//! look up, create, edit, void), `lines.rs` (a sheet's crew lines, in batches), `edit.rs` (the write path every local change takes: `edit`, `persist`),
//! `photos.rs` (attach, ingest into the media folder, pending uploads), `merge.rs`
//! (`import_changes`, `merge`, conflicts); `documents.rs` (snapshot plus appended changes),
//! `index.rs` (the `records` table), `presets.rs` (crew presets), `media.rs` (the media folder),
//! `schema.rs` (the store file), `http.rs` (the HTTP transport every network call takes, the app's or the
//! built-in one), `sync.rs` (the sync client), `pairing.rs` (pairing, the projects
//! held and `sync_all`, each project with its own token), `upload.rs` (the tus client), `cancel.rs`
//! (cancelling a running sync), `daily_reports.rs` (daily report PDFs fetched and kept offline),
//! `scope.rs` (sync scopes: the eviction plan, dropped ids, pins, fetching on demand).

mod cancel;
mod daily_reports;
mod documents;
mod edit;
mod http;
mod index;
mod lines;
mod media;
mod merge;
mod pairing;
mod photo_fetch;
mod photos;
mod presets;
mod records;
mod schema;
mod scope;
mod sync;
mod upload;

pub use cancel::Cancel;
pub use daily_reports::{DailyReportFile, MAX_REPORT_BYTES, ReportKey, ReportLang};
pub use http::{Method, NoTransport, Request, Response, Transport, default_transport};
pub use lines::{LineChange, LinePatch, LinesSet, MAX_LINE_CHANGES};
pub use merge::ImportOutcome;
pub use pairing::{PairedProject, Pairing};
pub use photo_fetch::PhotoSize;
pub use photos::{PendingUpload, PhotoContext};
pub use presets::CrewPreset;
pub use records::{NewSheet, RecordFilter, RecordSummary};
pub use scope::{Evicted, MAX_EVICTIONS, PIN_MS, Remote, check_days, check_fetch};
pub use sync::{SyncError, SyncReport};
pub use upload::UploadReport;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use automerge::ActorId;
use record_schema::{Record, ReferenceData};
use sqlx::SqlitePool;
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use documents::HotDoc;
pub use media::MediaDir;
pub use schema::supported_format;

/// Documents kept parsed in memory; beyond this the least recently opened are dropped.
const HOT_DOCS: usize = 128;

#[derive(Default)]
pub(crate) struct Hot {
    docs: HashMap<String, HotDoc>,
    /// Opening order, oldest first, to bound `docs`.
    order: Vec<String>,
    /// Parsed reference data per project; `None` cached too (no sync yet), cleared on import.
    references: HashMap<String, Option<Arc<ReferenceData>>>,
}

pub struct Store {
    path: PathBuf,
    pool: SqlitePool,
    media: MediaDir,
    actor: ActorId,
    author: String,
    hot: Mutex<Hot>,
    /// Every network call's transport (`http.rs`): the app's, or the built-in one, kept for the store's life so
    /// rounds and syncs reuse its connections.
    http: Arc<dyn Transport>,
    /// Documents read from disk into the hot cache (`documents_loaded`).
    loads: AtomicU64,
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Opens the store at `path` (created if missing) for `author`, the person using this phone.
    pub async fn open(path: impl AsRef<Path>, author: &str) -> Result<Self> {
        record_schema::validate::check_required("author", author)?;
        let path = path.as_ref().to_path_buf();
        let pool = schema::open_pool(&path).await?;
        let media = MediaDir::beside(&path);
        media.ensure()?;
        let actor = Self::actor(&pool).await?;
        Ok(Store {
            path,
            pool,
            media,
            actor,
            author: author.to_string(),
            hot: Mutex::new(Hot::default()),
            http: http::default_transport(),
            loads: AtomicU64::new(0),
        })
    }

    /// This store's Automerge actor: fixed per store file, so its edits are told apart from other phones'.
    async fn actor(pool: &SqlitePool) -> Result<ActorId> {
        let existing: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'actor'").fetch_optional(pool).await?;
        let hex_id = match existing {
            Some(a) => a,
            None => {
                let a = hex::encode(uuid::Uuid::new_v4().as_bytes());
                sqlx::query("INSERT INTO store_meta (key, value) VALUES ('actor', ?)").bind(&a).execute(pool).await?;
                a
            }
        };
        let bytes = hex::decode(&hex_id).map_err(|e| Error::Internal(format!("store actor id: {e}")))?;
        Ok(ActorId::from(bytes))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn media(&self) -> &MediaDir {
        &self.media
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    /// Documents read from disk and parsed since the store opened (the cost a sync must not pay for
    /// documents that did not change: tests and benchmarks check an idle sync reads none).
    pub fn documents_loaded(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Closes the database cleanly (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The hot copy of a document, loaded from disk if needed.
    async fn checkout<'h>(&self, hot: &'h mut Hot, id: &str) -> Result<&'h mut HotDoc> {
        if !hot.docs.contains_key(id) {
            let mut hd = documents::load(&self.pool, id)
                .await?
                .ok_or_else(|| Error::NotFound { what: "record", id: id.to_string() })?;
            self.loads.fetch_add(1, Ordering::Relaxed);
            hd.doc.set_actor(self.actor.clone());
            Self::remember(hot, id.to_string(), hd);
        }
        hot.docs.get_mut(id).ok_or_else(|| Error::Internal(format!("{id} not loaded")))
    }

    fn remember(hot: &mut Hot, id: String, hd: HotDoc) {
        hot.order.retain(|x| x != &id);
        while hot.order.len() >= HOT_DOCS {
            let old = hot.order.remove(0);
            hot.docs.remove(&old);
        }
        hot.order.push(id.clone());
        hot.docs.insert(id, hd);
    }
}

/// The hot record's parsed view, read from the document on first use.
fn view<'h>(hd: &'h mut HotDoc, id: &str) -> Result<&'h Record> {
    if hd.view.is_none() {
        hd.view = Some(Record::read(&hd.doc).map_err(|e| Error::document(id, e))?);
    }
    hd.view.as_ref().ok_or_else(|| Error::Internal(format!("{id}: no view")))
}
