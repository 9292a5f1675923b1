//! A photo's thumbnail or preview from the server, on demand: a preview this phone let go (the
//! eviction plan's `drop_previews`), or the photos of a colleague's record, whose files never come
//! with sync. The file lands where `MediaDir` keeps this phone's own, so the app shows it the same
//! way (`Photo::preview_path`).

use std::path::PathBuf;
use std::time::Duration;

use record_schema::ValidationError;

use super::http::{Method, Request};
use super::{MediaDir, Store};
use crate::error::{Error, Result};
use crate::photo::container::{self, Format};

/// Which file of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    /// The server's thumbnail (at most 320 px on its long side).
    Thumbnail,
    /// The preview (at most 1280 px), as the phone made it when the photo was taken.
    Preview,
}

impl PhotoSize {
    fn route(self) -> &'static str {
        match self {
            PhotoSize::Thumbnail => "thumbnail",
            PhotoSize::Preview => "preview",
        }
    }

    /// Largest long side accepted from the server: a bigger answer is not the file asked for.
    fn max_edge(self) -> u32 {
        match self {
            PhotoSize::Thumbnail => 512,
            PhotoSize::Preview => record_schema::photo::PREVIEW_SIDE,
        }
    }
}

/// Largest answer read: a 1280-px JPEG is ~0.2–0.5 MB.
const MAX_PHOTO_FILE: u64 = 8 * 1024 * 1024;

impl Store {
    /// The `size` file of photo `sha256`, from the phone when it is there, else from the server at
    /// `base_url` as the device holding `token` (a device of a project that holds the photo).
    /// `NotFound` when the server has no such photo for this project (not uploaded yet, or
    /// another project's), `Offline` when it cannot be reached or answers something that is not
    /// the JPEG asked for (a network login page).
    pub async fn fetch_photo(&self, base_url: &str, token: &str, sha256: &str, size: PhotoSize) -> Result<PathBuf> {
        check_sha(sha256)?;
        let path = self.photo_file(sha256, size);
        if path.is_file() {
            return Ok(path);
        }
        let url = format!("{}/v1/blobs/{sha256}/{}", base_url.trim().trim_end_matches('/'), size.route());
        let request = Request::new(Method::Get, url, Duration::from_secs(60), MAX_PHOTO_FILE)
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept", "image/jpeg");
        let answer = self.exchange(request).await?;
        let (status, bytes) = (answer.status, answer.body);
        match status {
            200 => {}
            404 => return Err(Error::NotFound { what: "photo on the server", id: sha256.to_string() }),
            401 | 403 => return Err(Error::Unauthorized(String::from_utf8_lossy(&bytes).into_owned())),
            _ => {
                let text = String::from_utf8_lossy(&bytes);
                return Err(Error::Sync(format!("the server answered {status}: {text}")));
            }
        }
        let header = container::inspect(&bytes, "the server's answer")
            .map_err(|e| Error::Offline(format!("the photo from the server is not usable: {e}")))?;
        if header.format != Format::Jpeg || header.width.max(header.height) > size.max_edge() {
            return Err(Error::Offline(format!(
                "the server's answer is not a {} JPEG ({}×{})",
                size.route(),
                header.width,
                header.height
            )));
        }
        self.media.ensure()?;
        MediaDir::write_once(&path, &bytes)?;
        Ok(path)
    }

    /// `fetch_photo` from the server this phone is paired with, with `project_id`'s token.
    pub async fn fetch_paired_photo(&self, project_id: &str, sha256: &str, size: PhotoSize) -> Result<PathBuf> {
        check_sha(sha256)?;
        let path = self.photo_file(sha256, size);
        if path.is_file() {
            return Ok(path);
        }
        let (server, token) = self.paired_endpoint(project_id).await?;
        self.fetch_photo(&server, &token, sha256, size).await
    }

    fn photo_file(&self, sha256: &str, size: PhotoSize) -> PathBuf {
        match size {
            PhotoSize::Thumbnail => self.media.thumbnail(sha256),
            PhotoSize::Preview => self.media.preview(sha256),
        }
    }
}

/// A photo is named by its SHA-256 in lowercase hex (it becomes a file name and a URL path).
fn check_sha(sha256: &str) -> Result<()> {
    if record_schema::photo::is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(ValidationError::new("sha256", "a photo's SHA-256: 64 lowercase hex digits").into())
    }
}
