//! Photos on `FieldStore`: attaching them to records (async: hashing and resizing take a while),
//! and the originals waiting for upload.

use std::sync::Arc;

use record_schema as rs;

use super::cancel::{CancelToken, flag_of};
use super::types::{PendingUpload, Photo, PhotoContext, PhotoSize, ProgressListener};
use super::{FieldStore, Result, convert, runtime};
use crate::error::{CoreError, Error};
use crate::store::{self, Store};

#[uniffi::export]
impl FieldStore {
    /// Attaches the photo at `path` to an expense (receipt) or progress report: hashes it, makes a
    /// thumbnail and a preview, and keeps the original until it is uploaded. A file that is not
    /// usable fails with `PhotoNotFound`, `PhotoUnreadable`, `PhotoTooLarge`, `PhotoDamaged` or
    /// `PhotoUnsupported`.
    pub async fn attach_photo(&self, record_id: String, path: String, context: PhotoContext) -> Result<Photo> {
        let s = self.live()?;
        let rt = runtime()?;
        rt.spawn(async move { attach(&s, &record_id, &path, context).await })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("photo task: {e}") })?
            .map_err(CoreError::from)
    }

    /// Attaches several photos, reporting each one to `listener`. Stops at the first bad file, when
    /// `listener` throws (`ListenerFailed`), or when `cancel` is cancelled (`Cancelled`, checked
    /// between photos); the photos before stay attached.
    #[uniffi::method(default(cancel = None))]
    pub async fn attach_photos(
        &self,
        record_id: String,
        paths: Vec<String>,
        listener: Arc<dyn ProgressListener>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<Photo>> {
        let s = self.live()?;
        let rt = runtime()?;
        let cancel = flag_of(cancel.as_deref());
        rt.spawn(async move {
            let total = u32::try_from(paths.len()).unwrap_or(u32::MAX);
            let mut out = Vec::with_capacity(paths.len());
            for (i, path) in paths.iter().enumerate() {
                cancel.check()?;
                out.push(attach(&s, &record_id, path, PhotoContext::default()).await?);
                let done = u32::try_from(i + 1).unwrap_or(u32::MAX);
                listener.on_progress(done, total, path.clone()).map_err(|e| Error::Listener(e.to_string()))?;
            }
            Ok::<_, Error>(out)
        })
        .await
        .map_err(|e| CoreError::Internal { reason: format!("photo task: {e}") })?
        .map_err(CoreError::from)
    }

    /// Photos whose originals have not reached the server yet.
    pub fn pending_uploads(&self) -> Result<Vec<PendingUpload>> {
        let s = self.live()?;
        super::block_on(async {
            Ok(s.pending_uploads()
                .await?
                .into_iter()
                .map(|p| PendingUpload {
                    sha256: p.sha256,
                    path: p.path.display().to_string(),
                    mime: p.mime,
                    byte_size: p.byte_size,
                    record_ids: p.record_ids,
                })
                .collect())
        })
    }

    /// The `size` file of photo `sha256` (a `Photo` whose `…_on_phone` is false): answered at once
    /// when on the phone, else fetched from the server this phone is paired with (`project_id`'s
    /// token) and kept at the photo's `…_path`, which is returned. `NotFound` when the server has no
    /// such photo for the project (not uploaded yet) or the phone is not paired; `Offline` without a
    /// connection; `InvalidInput` (field `sha256`) for a malformed hash.
    pub async fn fetch_photo(&self, project_id: String, sha256: String, size: PhotoSize) -> Result<String> {
        let s = self.live()?;
        runtime()?
            .spawn(async move { s.fetch_paired_photo(&project_id, &sha256, size_of(size)).await })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("photo task: {e}") })?
            .map(|p| p.display().to_string())
            .map_err(CoreError::from)
    }

    /// `fetch_photo` from the server at `base_url` as the device holding `token` (as `sync` takes
    /// them), for a phone that is not paired.
    pub async fn fetch_photo_with(
        &self,
        base_url: String,
        token: String,
        sha256: String,
        size: PhotoSize,
    ) -> Result<String> {
        let s = self.live()?;
        runtime()?
            .spawn(async move { s.fetch_photo(&base_url, &token, &sha256, size_of(size)).await })
            .await
            .map_err(|e| CoreError::Internal { reason: format!("photo task: {e}") })?
            .map(|p| p.display().to_string())
            .map_err(CoreError::from)
    }

    /// The server holds the original now; the phone's copy is freed (thumbnail and preview stay).
    pub fn mark_photo_uploaded(&self, sha256: String) -> Result<()> {
        let s = self.live()?;
        super::block_on(s.mark_photo_uploaded(&sha256))
    }
}

async fn attach(s: &Store, record_id: &str, path: &str, context: PhotoContext) -> std::result::Result<Photo, Error> {
    let ctx = store::PhotoContext {
        captured_at_ms: context.captured_at_ms,
        location: context.location.map(|g| rs::GeoPoint {
            latitude: g.latitude,
            longitude: g.longitude,
            accuracy_m: g.accuracy_m,
        }),
    };
    let p = s.attach_photo(record_id, std::path::Path::new(path), ctx).await?;
    Ok(convert::photo_out(&p, s.media()))
}

fn size_of(size: PhotoSize) -> store::PhotoSize {
    match size {
        PhotoSize::Thumbnail => store::PhotoSize::Thumbnail,
        PhotoSize::Preview => store::PhotoSize::Preview,
    }
}
