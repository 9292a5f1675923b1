//! Where photo bytes live: a small key/value `BlobStore`. The default is a folder (`<data dir>/blobs`);
//! replicas share an S3-compatible bucket through the adapter over `object_store`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob key {0:?} is not allowed")]
    BadKey(String),
    #[error("blob store {what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("object store: {0}")]
    Object(#[from] object_store::Error),
    #[error("blob store configuration: {0}")]
    Config(String),
}

/// Whole objects by key (`originals/<sha256>`, `thumbnails/<sha256>.jpg`). Writes are atomic: a reader
/// sees the old object, the new one, or none, never a part.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug + 'static {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError>;
    async fn exists(&self, key: &str) -> Result<bool, BlobError>;
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

/// Keys are short paths of `[a-z0-9._-]` segments; nothing can climb out of the store.
fn check_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
    if ok { Ok(()) } else { Err(BlobError::BadKey(key.to_string())) }
}

/// A folder: one file per key, written to a temporary name, fsynced and renamed into place.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsBlobStore { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn io(what: &Path, source: std::io::Error) -> BlobError {
    BlobError::Io { what: what.display().to_string(), source }
}

#[async_trait::async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let dir = path.parent().ok_or_else(|| BlobError::BadKey(path.display().to_string()))?;
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            let tmp = dir.join(format!(".{}.partial", uuid::Uuid::new_v4().simple()));
            let write = || -> std::io::Result<()> {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                std::fs::File::open(dir)?.sync_all()
            };
            write().map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                io(&path, e)
            })
        })
        .await
        .map_err(|e| BlobError::Io { what: "writer task".into(), source: std::io::Error::other(e) })?
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path, e)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        let path = self.path(key)?;
        tokio::fs::try_exists(&path).await.map_err(|e| io(&path, e))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path, e)),
        }
    }
}

/// Any `object_store` backend: S3 and compatible stores (feature `s3`), or its in-memory and local
/// filesystem stores.
#[derive(Debug, Clone)]
pub struct ObjectStoreBlobs {
    store: Arc<dyn object_store::ObjectStore>,
}

impl ObjectStoreBlobs {
    pub fn new(store: Arc<dyn object_store::ObjectStore>) -> Self {
        ObjectStoreBlobs { store }
    }

    fn path(key: &str) -> Result<object_store::path::Path, BlobError> {
        check_key(key)?;
        object_store::path::Path::parse(key).map_err(|_| BlobError::BadKey(key.to_string()))
    }
}

#[async_trait::async_trait]
impl BlobStore for ObjectStoreBlobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        use object_store::ObjectStoreExt;
        self.store.put(&Self::path(key)?, bytes.into()).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, BlobError> {
        use object_store::ObjectStoreExt;
        match self.store.get(&Self::path(key)?).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        use object_store::ObjectStoreExt;
        match self.store.head(&Self::path(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        use object_store::ObjectStoreExt;
        match self.store.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The store a `--blob-store` value names: unset or `fs` = `<data dir>/blobs`; `memory` = in memory
/// (tests; lost at exit); `file:///abs/path` = object_store's local filesystem; `s3://bucket[/prefix]`
/// = S3 or compatible (credentials and endpoint from the usual `AWS_*` variables; needs the `s3` feature).
pub fn open(spec: Option<&str>, data_dir: &Path) -> Result<Arc<dyn BlobStore>, BlobError> {
    let spec = spec.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("fs");
    match spec {
        "fs" => Ok(Arc::new(FsBlobStore::new(data_dir.join("blobs")))),
        "memory" => Ok(Arc::new(ObjectStoreBlobs::new(Arc::new(object_store::memory::InMemory::new())))),
        s if s.starts_with("file://") => {
            let root = &s["file://".len()..];
            std::fs::create_dir_all(root).map_err(|e| io(Path::new(root), e))?;
            let local = object_store::local::LocalFileSystem::new_with_prefix(root)?;
            Ok(Arc::new(ObjectStoreBlobs::new(Arc::new(local))))
        }
        s if s.starts_with("s3://") => open_s3(s),
        other => Err(BlobError::Config(format!(
            "unknown blob store {other:?}: use fs, memory, file:///path or s3://bucket/prefix"
        ))),
    }
}

#[cfg(feature = "s3")]
fn open_s3(url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    let rest = &url["s3://".len()..];
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(BlobError::Config(format!("{url}: no bucket")));
    }
    let s3 = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).build()?;
    let prefix = prefix.trim_matches('/');
    let store: Arc<dyn object_store::ObjectStore> =
        if prefix.is_empty() { Arc::new(s3) } else { Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)) };
    Ok(Arc::new(ObjectStoreBlobs::new(store)))
}

#[cfg(not(feature = "s3"))]
fn open_s3(url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    Err(BlobError::Config(format!(
        "{url}: this server was built without S3 support; rebuild with `cargo build -p server --features s3`"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn conformance(store: &dyn BlobStore) {
        let key = "originals/ab12";
        assert!(!store.exists(key).await.expect("exists"));
        assert_eq!(store.get(key).await.expect("get"), None);
        store.put(key, Bytes::from_static(b"one")).await.expect("put");
        store.put(key, Bytes::from_static(b"two")).await.expect("overwrite");
        assert!(store.exists(key).await.expect("exists"));
        assert_eq!(store.get(key).await.expect("get").as_deref(), Some(&b"two"[..]));
        store.delete(key).await.expect("delete");
        store.delete(key).await.expect("delete again");
        assert!(!store.exists(key).await.expect("exists"));
        for bad in ["", "../x", "a/../../b", "/abs", "A", "a//b", "a/./b"] {
            assert!(matches!(store.put(bad, Bytes::new()).await, Err(BlobError::BadKey(_))), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn filesystem_store() {
        let dir = tempfile::tempdir().expect("dir");
        conformance(&FsBlobStore::new(dir.path().join("blobs"))).await;
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("blobs/originals")).expect("dir").collect();
        assert!(leftovers.is_empty(), "no temporary files left: {leftovers:?}");
    }

    #[tokio::test]
    async fn object_store_in_memory() {
        conformance(&ObjectStoreBlobs::new(Arc::new(object_store::memory::InMemory::new()))).await;
    }

    #[tokio::test]
    async fn object_store_local_filesystem() {
        let dir = tempfile::tempdir().expect("dir");
        let local = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("local");
        conformance(&ObjectStoreBlobs::new(Arc::new(local))).await;
    }

    #[test]
    fn open_names() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(open(None, dir.path()).is_ok());
        assert!(open(Some("memory"), dir.path()).is_ok());
        assert!(open(Some("ftp://x"), dir.path()).is_err());
        #[cfg(not(feature = "s3"))]
        assert!(matches!(open(Some("s3://bucket"), dir.path()), Err(BlobError::Config(_))));
    }
}
