//! A reference from a record to a photo blob. The blob itself travels separately (resumable upload),
//! addressed by the SHA-256 of the original file.

use automerge::{AutoCommit, ObjId, ScalarValue};

use crate::doc::{self, get_f64, get_i64, get_timestamp, put_opt_scalar, put_scalar, put_str, req_str};
use crate::{SchemaError, ValidationError};

/// Most pixels a photo may have, on the phone (ingest) and on the server (upload check) alike, so a
/// photo the phone took in is never refused on upload: a 64-megapixel phone camera's full
/// resolution fits; a 13,000 x 13,000 image (a small PNG that decodes to ~500 MB) does not.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Long side of a photo's preview, in pixels (never upscaled), and its JPEG quality: the phone makes
/// it at ingest and the server on demand (`GET /v1/blobs/{sha256}/preview`), alike.
pub const PREVIEW_SIDE: u32 = 1280;
pub const PREVIEW_QUALITY: u8 = 82;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    /// Horizontal accuracy in metres, when the device reports it.
    pub accuracy_m: Option<f64>,
}

impl GeoPoint {
    /// Latitude within -90..90 and longitude within -180..180, named `<field>.latitude` and
    /// `<field>.longitude`.
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(ValidationError::new(format!("{field}.latitude"), "must be within -90..90"));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(ValidationError::new(format!("{field}.longitude"), "must be within -180..180"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRef {
    /// Lower-case hex SHA-256 of the original file: the blob's address.
    pub sha256: String,
    pub byte_size: u64,
    pub width: u32,
    pub height: u32,
    pub mime: String,
    /// Capture time, milliseconds since the Unix epoch (UTC).
    pub captured_at_ms: i64,
    pub location: Option<GeoPoint>,
    /// SHA-256 of the thumbnail JPEG the phone made (kept beside the original).
    pub thumbnail_sha256: String,
}

/// The size of `width`×`height` scaled down (never up) so its long edge is at most `edge`, keeping
/// the aspect ratio; no side becomes 0. One rounding for the phone's ingest and the server's
/// preview, so both make a photo's preview the same size.
pub fn fit_within(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge {
        return (width, height);
    }
    let scale = |v: u32| -> u32 {
        // Rounded v * edge / long; fits in u32 because it is <= edge.
        let scaled = (u64::from(v) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(edge).max(1)
    };
    (scale(width), scale(height))
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl PhotoRef {
    pub fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if !is_sha256_hex(&self.sha256) {
            return Err(ValidationError::new(format!("{field}.sha256"), "must be 64 lower-case hex digits"));
        }
        if !is_sha256_hex(&self.thumbnail_sha256) {
            return Err(ValidationError::new(format!("{field}.thumbnail_sha256"), "must be 64 lower-case hex digits"));
        }
        if self.width == 0 || self.height == 0 {
            return Err(ValidationError::new(format!("{field}.width"), "image has no pixels"));
        }
        if let Some(g) = &self.location {
            g.validate(&format!("{field}.location"))?;
        }
        Ok(())
    }

    pub(crate) fn write(&self, d: &mut AutoCommit, obj: &ObjId) -> Result<(), SchemaError> {
        put_str(d, obj, "sha256", &self.sha256)?;
        put_scalar(d, obj, "byte_size", ScalarValue::Int(self.byte_size as i64))?;
        put_scalar(d, obj, "width", ScalarValue::Int(i64::from(self.width)))?;
        put_scalar(d, obj, "height", ScalarValue::Int(i64::from(self.height)))?;
        put_str(d, obj, "mime", &self.mime)?;
        put_scalar(d, obj, "captured_at", ScalarValue::Timestamp(self.captured_at_ms))?;
        put_opt_scalar(d, obj, "latitude", self.location.map(|g| ScalarValue::F64(g.latitude)))?;
        put_opt_scalar(d, obj, "longitude", self.location.map(|g| ScalarValue::F64(g.longitude)))?;
        put_opt_scalar(d, obj, "accuracy_m", self.location.and_then(|g| g.accuracy_m).map(ScalarValue::F64))?;
        put_str(d, obj, "thumbnail_sha256", &self.thumbnail_sha256)
    }

    pub(crate) fn read(d: &AutoCommit, obj: &ObjId) -> Result<Self, SchemaError> {
        let int = |k: &str| -> Result<i64, SchemaError> {
            get_i64(d, obj, k)?.ok_or_else(|| SchemaError::Malformed { field: k.into(), reason: "missing".into() })
        };
        let location = match (get_f64(d, obj, "latitude")?, get_f64(d, obj, "longitude")?) {
            (Some(latitude), Some(longitude)) => {
                Some(GeoPoint { latitude, longitude, accuracy_m: get_f64(d, obj, "accuracy_m")? })
            }
            _ => None,
        };
        Ok(PhotoRef {
            sha256: req_str(d, obj, "sha256")?,
            byte_size: int("byte_size")?.max(0) as u64,
            width: int("width")?.clamp(0, i64::from(u32::MAX)) as u32,
            height: int("height")?.clamp(0, i64::from(u32::MAX)) as u32,
            mime: req_str(d, obj, "mime")?,
            captured_at_ms: get_timestamp(d, obj, "captured_at")?.unwrap_or_default(),
            location,
            thumbnail_sha256: req_str(d, obj, "thumbnail_sha256")?,
        })
    }
}

/// Photos of a record live in a map keyed by their hash: adding the same photo twice, or on two phones
/// at once, yields one entry. Read back in capture order.
pub(crate) fn write_photos(
    d: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
    photos: &[PhotoRef],
) -> Result<(), SchemaError> {
    let obj = doc::ensure_map(d, parent, key)?;
    doc::reconcile_keyed(d, &obj, photos, |p| p.sha256.as_str(), |d, o, p| p.write(d, o))
}

pub(crate) fn read_photos(d: &AutoCommit, parent: &ObjId, key: &str) -> Result<Vec<PhotoRef>, SchemaError> {
    let Some(obj) = doc::get_map(d, parent, key)? else { return Ok(Vec::new()) };
    let mut photos = doc::read_keyed(d, &obj, |d, _, o| PhotoRef::read(d, o))?;
    sort_photos(&mut photos);
    Ok(photos)
}

/// The order photos read back in: capture time, then hash.
pub fn sort_photos(photos: &mut [PhotoRef]) {
    photos.sort_by(|a, b| a.captured_at_ms.cmp(&b.captured_at_ms).then_with(|| a.sha256.cmp(&b.sha256)));
}

/// Adds `photo` to `photos` (once: photos are keyed by hash), keeping the read-back order.
pub fn add_photo(photos: &mut Vec<PhotoRef>, photo: &PhotoRef) {
    if !photos.iter().any(|p| p.sha256 == photo.sha256) {
        photos.push(photo.clone());
        sort_photos(photos);
    }
}

#[cfg(test)]
mod fit_tests {
    use super::fit_within;

    #[test]
    fn fit_never_upscales_and_keeps_aspect() {
        assert_eq!(fit_within(4000, 3000, 1280), (1280, 960));
        assert_eq!(fit_within(3000, 4000, 256), (192, 256));
        assert_eq!(fit_within(640, 480, 1280), (640, 480));
        assert_eq!(fit_within(10_000, 1, 256), (256, 1));
        assert_eq!(fit_within(4032, 3024, 1280), (1280, 960));
    }
}
