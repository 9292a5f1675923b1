//! The app's HTTP (`HttpTransport`): given to `FieldStore.open_with_http`, it carries every request of the store
//! (sync, pairing, photo uploads, daily reports) over the platform's own stack (Android `HttpURLConnection` or
//! OkHttp, iOS `URLSession`): its TLS, trust store, proxy and pinning. The phone builds have no HTTP of their own
//! (docs/phone-library.md); the others fall back to the built-in one when no transport is given.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::store::{Request, Response, Transport};

/// One HTTP header, in the order sent or received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A request for the app's transport to send.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `HEAD`, `POST` or `PATCH` (tus photo uploads).
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// Sent as is (empty: no body; a `POST` still sends `Content-Length: 0`).
    pub body: Vec<u8>,
    /// Longest the whole exchange may take (connect, send, read), in milliseconds.
    pub timeout_ms: u64,
    /// Largest answer body the core accepts: stop reading past it and throw `HttpError.TooLarge`.
    pub max_response_bytes: u64,
}

/// The server's answer, whatever its status (4xx and 5xx are answers too: the core reads them).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// What an `HttpTransport` throws. Any other exception it throws arrives as `Offline` too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    /// The server was not reached, or the answer broke off (no signal, DNS, TLS, timeout): the call fails with
    /// `CoreError.Offline` and this reason, and nothing the store holds changes.
    #[error("{reason}")]
    Offline { reason: String },
    /// The answer is longer than `HttpRequest.max_response_bytes`.
    #[error("the answer is larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Offline { reason: e.reason }
    }
}

/// The app's HTTP client, called by the core on its own worker threads (never the app's UI thread) and blocking
/// until the answer is read. Follow no redirects the server does not need (it sends none), add no headers of your
/// own beyond what the platform requires, and answer every status: only a failure to reach or read is an error.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, HttpError>;
}

/// The app's transport as the store's.
pub(super) struct Foreign(pub Arc<dyn HttpTransport>);

impl Transport for Foreign {
    fn send(&self, request: Request) -> Result<Response> {
        let Request { method, url, headers, body, timeout, max_response } = request;
        let request = HttpRequest {
            method: method.as_str().to_string(),
            url: url.clone(),
            headers: headers.into_iter().map(|(name, value)| HttpHeader { name, value }).collect(),
            body,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            max_response_bytes: max_response,
        };
        match self.0.send(request) {
            Ok(r) => Ok(Response {
                status: r.status,
                headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                body: r.body,
            }),
            Err(HttpError::Offline { reason }) => Err(Error::Offline(format!("{url}: {reason}"))),
            Err(HttpError::TooLarge { .. }) => {
                Err(Error::TooLarge { what: "server's answer".into(), limit: max_response })
            }
        }
    }
}
