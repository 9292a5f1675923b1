//! Photo blobs: resumable uploads over tus 1.0 (`tus/`), checked and thumbnailed (`image.rs`), kept in
//! a `BlobStore` (`store.rs`) once per SHA-256, readable by the projects that uploaded them.

pub mod image;
pub mod store;
pub mod tus;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use store::{BlobError, BlobStore, FsBlobStore, ObjectStoreBlobs};

/// Default largest upload: 64 MiB (a phone photo is 3–6 MB).
pub const DEFAULT_MAX_UPLOAD: u64 = 64 * 1024 * 1024;

/// Default life of an unfinished upload: 7 days, in minutes. A phone syncs at least every few days; an upload
/// older than this is abandoned (the phone was wiped or replaced) and its partial file only takes disk.
pub const DEFAULT_UPLOAD_EXPIRY_MINUTES: u64 = 7 * 24 * 60;

/// What the upload and blob routes share.
#[derive(Debug)]
pub struct Blobs {
    pub store: Arc<dyn BlobStore>,
    /// Partial uploads: one file per upload id; the offset that counts is the database's.
    pub uploads_dir: PathBuf,
    pub max_upload: u64,
    /// How long an unfinished upload lives after its creation (tus expiration extension).
    pub upload_ttl: std::time::Duration,
    /// Uploads a request is writing right now (one writer per upload in this process).
    busy: Mutex<std::collections::HashSet<String>>,
    /// Completions checking a whole file at once (hash, decode, thumbnail): one per core, so a burst
    /// of finished uploads cannot hold dozens of decoded photos in memory together.
    pub checks: tokio::sync::Semaphore,
}

impl Blobs {
    pub fn new(
        store: Arc<dyn BlobStore>,
        data_dir: &Path,
        max_upload: u64,
        upload_ttl: std::time::Duration,
    ) -> std::io::Result<Arc<Self>> {
        let uploads_dir = data_dir.join("uploads");
        std::fs::create_dir_all(&uploads_dir)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Arc::new(Blobs {
            store,
            uploads_dir,
            max_upload,
            upload_ttl,
            busy: Mutex::new(Default::default()),
            checks: tokio::sync::Semaphore::new(cores),
        }))
    }

    pub fn original_key(sha256: &str) -> String {
        format!("originals/{sha256}")
    }

    /// The thumbnail, upright by the photo's EXIF orientation. Thumbnails made before that (at
    /// `thumbnails/<sha256>.jpg`, some turned) are left behind: this key's is made from the original
    /// on its first use (`tus::handlers::ensure_derived`).
    pub fn thumbnail_key(sha256: &str) -> String {
        format!("thumbnails/{sha256}.upright.jpg")
    }

    /// The preview, made on its first request (`GET /v1/blobs/{sha256}/preview`).
    pub fn preview_key(sha256: &str) -> String {
        format!("previews/{sha256}.jpg")
    }

    /// Marks `id` as being written; `None` if another request already is. Released on drop.
    fn claim(self: &Arc<Self>, id: &str) -> Option<Claim> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        busy.insert(id.to_string()).then(|| Claim { blobs: self.clone(), id: id.to_string() })
    }
}

struct Claim {
    blobs: Arc<Blobs>,
    id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.blobs.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}
