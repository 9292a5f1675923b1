//! The media folder beside the store file: originals waiting for upload, thumbnails and previews.
//! Files are content-addressed and written atomically (temp file, fsync, rename), before the database
//! transaction that refers to them, so a crash leaves at worst an unreferenced file, never a reference
//! to a missing or half-written one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct MediaDir {
    root: PathBuf,
}

impl MediaDir {
    /// `store.db` keeps its media in `store.db.media/`.
    pub fn beside(store_path: &Path) -> Self {
        let mut name = store_path.as_os_str().to_owned();
        name.push(".media");
        MediaDir { root: PathBuf::from(name) }
    }

    pub fn ensure(&self) -> Result<()> {
        for sub in ["originals", "thumbs", "previews"] {
            let dir = self.root.join(sub);
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        Ok(())
    }

    pub fn original(&self, sha256: &str) -> PathBuf {
        self.root.join("originals").join(sha256)
    }

    pub fn thumbnail(&self, sha256: &str) -> PathBuf {
        self.root.join("thumbs").join(format!("{sha256}.jpg"))
    }

    pub fn preview(&self, sha256: &str) -> PathBuf {
        self.root.join("previews").join(format!("{sha256}.jpg"))
    }

    /// Daily report PDFs fetched from the server (`daily_reports.rs`), by project, site and day.
    pub fn reports(&self) -> PathBuf {
        self.root.join("reports")
    }

    /// Writes `bytes` to `path` durably; an existing file (same content, same address) is kept.
    pub fn write_once(path: &Path, bytes: &[u8]) -> Result<()> {
        if path.exists() {
            return Ok(());
        }
        let tmp = path.with_extension("partial");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| Error::io(path, e))
    }

    /// Deletes the whole media folder (a wipe).
    pub fn remove_all(&self) -> Result<()> {
        match fs::remove_dir_all(&self.root) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.root, e)),
        }
    }

    pub fn remove(path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}
