//! The tus 1.0 protocol itself, apart from any storage: the version, extensions and checksum
//! algorithms this server speaks, the `Tus-Resumable` check every upload request passes
//! (`tus_headers`), reading its headers (`Upload-Length`, `Upload-Offset`, `Upload-Metadata`),
//! the `Upload-Expires` date and `Upload-Checksum` digests.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Blob names are SHA-256s in lower-case hex, as the records' photo references are.
pub(super) use record_schema::photo::is_sha256_hex;

/// Shared with the phone's upload client: defined once, in `record_schema::tus`.
pub use record_schema::tus::{TUS_CHECKSUMS, TUS_EXTENSIONS, TUS_VERSION};

/// `Upload-Expires` takes an RFC 9110 HTTP date.
pub(super) fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Every tus request but OPTIONS must say `Tus-Resumable: 1.0.0` (else 412); every response says it.
pub(crate) async fn tus_headers(request: Request, next: Next) -> Response {
    let version = request.headers().get("tus-resumable").and_then(|v| v.to_str().ok()).map(str::trim);
    let mut response = if request.method() != Method::OPTIONS && version != Some(TUS_VERSION) {
        let mut r = ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "unsupported_version",
            "Tus-Resumable",
            format!("this server speaks tus {TUS_VERSION}; send `Tus-Resumable: {TUS_VERSION}`"),
        )
        .into_response();
        r.headers_mut().insert("tus-version", HeaderValue::from_static(TUS_VERSION));
        r
    } else {
        next.run(request).await
    };
    response.headers_mut().insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| v.to_str().map(str::trim).map_err(|_| ApiError::bad_request(name, "the header is not ASCII text")))
        .transpose()
}

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    let v = header_str(headers, name)?
        .ok_or_else(|| ApiError::bad_request(name, format!("the `{name}` header is required")))?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(name, format!("`{name}` must be a non-negative integer, got {v:?}")));
    }
    v.parse().map_err(|_| ApiError::bad_request(name, format!("`{name}` is out of range")))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
pub fn parse_metadata(raw: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(format!("bad key {key:?}"));
        }
        let value = base64::engine::general_purpose::STANDARD
            .decode(value)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
            .map_err(|_| format!("the value of {key:?} is not base64"))?;
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("{key:?} appears twice"));
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

pub(super) enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Sha256(Sha256, Vec<u8>),
}

impl Checksum {
    pub(super) fn parse(v: &str) -> Result<Checksum, ApiError> {
        let field = "Upload-Checksum";
        let (algo, digest) =
            v.split_once(' ').ok_or_else(|| ApiError::bad_request(field, "expected `<algorithm> <base64 digest>`"))?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(digest.trim())
            .map_err(|_| ApiError::bad_request(field, "the digest is not base64"))?;
        let (c, len) = match algo.trim() {
            "sha1" => (Checksum::Sha1(sha1::Digest::new(), digest), 20),
            "sha256" => (Checksum::Sha256(Sha256::new(), digest), 32),
            other => {
                return Err(ApiError::bad_request(
                    field,
                    format!("algorithm {other:?} is not supported; use one of {TUS_CHECKSUMS}"),
                ));
            }
        };
        if c.expected().len() != len {
            return Err(ApiError::bad_request(field, format!("a {} digest is {len} bytes", algo.trim())));
        }
        Ok(c)
    }

    fn expected(&self) -> &[u8] {
        match self {
            Checksum::Sha1(_, d) | Checksum::Sha256(_, d) => d,
        }
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Sha1(h, _) => sha1::Digest::update(h, data),
            Checksum::Sha256(h, _) => h.update(data),
        }
    }

    pub(super) fn matches(self) -> bool {
        match self {
            Checksum::Sha1(h, d) => sha1::Digest::finalize(h)[..] == d[..],
            Checksum::Sha256(h, d) => h.finalize()[..] == d[..],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parses_the_tus_format() {
        let m = parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, sha256 YWI=")
            .expect("parses");
        assert_eq!(m[0], ("filename".to_string(), b"world_domination_plan.pdf".to_vec()));
        assert_eq!(m[1], ("is_confidential".to_string(), vec![]));
        assert_eq!(m[2], ("sha256".to_string(), b"ab".to_vec()));
        assert!(parse_metadata("a !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert_eq!(parse_metadata("").expect("empty"), vec![]);
    }

    #[test]
    fn checksums_parse() {
        assert!(Checksum::parse("sha256 AAAA").is_err(), "wrong length");
        assert!(Checksum::parse("md5 AAAA").is_err());
        let mut c = Checksum::parse("sha1 qZk+NkcGgWq6PiVxeFDCbJzQ2J0=").expect("sha1 of 'abc'");
        c.update(b"abc");
        assert!(c.matches());
    }
}
