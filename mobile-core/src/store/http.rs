//! HTTP for the store: one blocking `Transport` every network call goes through (sync rounds, pairing, tus photo
//! uploads, daily report PDFs). The app may supply it (Android: `HttpURLConnection`/OkHttp, iOS: `URLSession`,
//! through the FFI's `HttpTransport`), so requests use the platform's TLS, trust store, proxy settings and pinning
//! and the library carries no TLS or HTTP stack of its own: the pattern of Mozilla application-services' viaduct
//! (a `#[uniffi::export(with_foreign)]` backend trait the app implements; components/viaduct/README.md and
//! src/new_backend.rs there). The built-in transport (ureq + rustls, cargo feature `builtin-http`, on by default)
//! serves desktop use and the tests; the phone builds leave it out (docs/phone-library.md).
//!
//! A transport turns a request into the server's answer, whatever its status: statuses are the callers' to read
//! (each keeps its own mapping), and only failing to reach the server or to read its answer is an error
//! (`Error::Offline`), or an answer larger than the request allows (`Error::TooLarge`).

use std::sync::Arc;
use std::time::Duration;

use super::Store;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    /// In order; the store adds `APP_HEADER` to every request.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Longest the whole exchange (connecting, sending, reading the answer) may take.
    pub timeout: Duration,
    /// Largest answer body accepted; a longer one is `Error::TooLarge` (stop reading there).
    pub max_response: u64,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>, timeout: Duration, max_response: u64) -> Self {
        Request { method, url: url.into(), headers: Vec::new(), body: Vec::new(), timeout, max_response }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive, as HTTP names are), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request and answers the server's response. Blocking: the store calls it on a blocking thread, never
/// on the async runtime. Errors: `Error::Offline` (the server was not reached, or the answer broke off; the reason
/// is shown to the user) and `Error::TooLarge` (an answer over `Request::max_response`).
pub trait Transport: Send + Sync {
    fn send(&self, request: Request) -> Result<Response>;
}

/// The transport of a store opened without one: the built-in one when compiled in, else none (every network call
/// is `Error::NoTransport`).
pub fn default_transport() -> Arc<dyn Transport> {
    #[cfg(feature = "builtin-http")]
    {
        Arc::new(builtin::Ureq::new())
    }
    #[cfg(not(feature = "builtin-http"))]
    {
        Arc::new(NoTransport)
    }
}

/// No HTTP at all: what a build without the built-in transport uses when the app gives none.
pub struct NoTransport;

impl Transport for NoTransport {
    fn send(&self, _: Request) -> Result<Response> {
        Err(Error::NoTransport)
    }
}

impl Store {
    /// This store with `transport` for every network call instead of the default one.
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.http = transport;
        self
    }

    /// One exchange on the store's transport, off the async runtime (transports block), with the app's header. An
    /// answer over the request's limit is refused here too, so a transport that ignores the limit cannot make the
    /// store hold more than it asked for.
    pub(crate) async fn exchange(&self, request: Request) -> Result<Response> {
        exchange(&self.http, request).await
    }

    pub(crate) fn transport(&self) -> Arc<dyn Transport> {
        self.http.clone()
    }
}

/// `Store::exchange` on a transport taken from the store (`upload.rs` keeps one for a pass of uploads).
pub(crate) async fn exchange(transport: &Arc<dyn Transport>, request: Request) -> Result<Response> {
    let transport = transport.clone();
    let request = request.header(APP_HEADER.0, APP_HEADER.1);
    let limit = request.max_response;
    let response = tokio::task::spawn_blocking(move || transport.send(request))
        .await
        .map_err(|e| Error::Internal(format!("HTTP worker: {e}")))??;
    if response.body.len() as u64 > limit {
        return Err(Error::TooLarge { what: "server's answer".into(), limit });
    }
    Ok(response)
}

/// Names this library and its version on every request, so an admin's device list shows which phones still run
/// an old build (the server keeps it as the device's app version).
pub(crate) const APP_HEADER: (&str, &str) =
    ("Fieldledger-App", concat!("fieldledger-mobile-core/", env!("CARGO_PKG_VERSION")));

/// The built-in transport: ureq over rustls with ring and Mozilla's roots (`webpki-roots`), without gzip (the
/// server sends CBOR, JSON, PDFs and JPEGs uncompressed).
#[cfg(feature = "builtin-http")]
mod builtin {
    use std::io::Read;
    use std::time::Duration;

    use super::{Method, Request, Response, Transport};
    use crate::error::{Error, Result};

    /// One agent for the store's life: its kept-alive connection serves every round and every sync (a new TCP and
    /// TLS handshake per round costs seconds on a poor cellular link). Cloning shares its connection pool.
    pub(super) struct Ureq {
        agent: ureq::Agent,
    }

    impl Ureq {
        pub(super) fn new() -> Self {
            let agent = ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(30)))
                .http_status_as_error(false)
                .build()
                .into();
            Ureq { agent }
        }
    }

    impl Transport for Ureq {
        fn send(&self, request: Request) -> Result<Response> {
            let Request { method, url, headers, body, timeout, max_response } = request;
            let offline = |e: ureq::Error| Error::Offline(format!("{url}: {e}"));
            macro_rules! prepared {
                ($b:expr) => {{
                    let mut b = $b;
                    for (k, v) in &headers {
                        b = b.header(k.as_str(), v.as_str());
                    }
                    b.config().timeout_global(Some(timeout)).build()
                }};
            }
            let mut resp = match method {
                Method::Get => prepared!(self.agent.get(&url)).call(),
                Method::Head => prepared!(self.agent.head(&url)).call(),
                Method::Post => prepared!(self.agent.post(&url)).send(&body[..]),
                Method::Patch => prepared!(self.agent.patch(&url)).send(&body[..]),
            }
            .map_err(offline)?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            // Refused before reading when announced too long (the body may never come).
            let announced =
                resp.headers().get("content-length").and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
            if announced.is_some_and(|n| n > max_response) {
                return Err(Error::TooLarge { what: "server's answer".into(), limit: max_response });
            }
            // One past the limit, so an answer of exactly the limit is told apart from a longer one.
            let mut body = Vec::new();
            resp.body_mut()
                .with_config()
                .limit(max_response.saturating_add(1))
                .reader()
                .read_to_end(&mut body)
                .map_err(|e| match ureq::Error::from(e) {
                    ureq::Error::BodyExceedsLimit(_) => {
                        Error::TooLarge { what: "server's answer".into(), limit: max_response }
                    }
                    other => Error::Offline(format!("{url}: reading the answer: {other}")),
                })?;
            if body.len() as u64 > max_response {
                return Err(Error::TooLarge { what: "server's answer".into(), limit: max_response });
            }
            Ok(Response { status, headers, body })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers every request with `answer`, keeping what it was asked.
    struct Canned {
        answer: Response,
        seen: Mutex<Vec<Request>>,
    }

    impl Transport for Canned {
        fn send(&self, request: Request) -> Result<Response> {
            self.seen.lock().map_err(|_| Error::Internal("poisoned".into()))?.push(request);
            Ok(self.answer.clone())
        }
    }

    #[tokio::test]
    async fn every_request_names_the_app_and_answers_over_the_limit_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let canned = Arc::new(Canned {
            answer: Response { status: 200, headers: vec![("ETag".into(), " \"v1\" ".into())], body: vec![7; 10] },
            seen: Mutex::new(Vec::new()),
        });
        let store =
            Store::open(dir.path().join("phone.db"), "王建国").await.expect("open").with_transport(canned.clone());
        let request = Request::new(Method::Get, "http://server/x", Duration::from_secs(1), 10);
        let answer = store.exchange(request.clone()).await.expect("exactly the limit");
        assert_eq!((answer.status, answer.header("etag")), (200, Some("\"v1\"")));
        let seen = canned.seen.lock().expect("seen")[0].clone();
        assert_eq!(seen.header_value(APP_HEADER.0), Some(APP_HEADER.1));
        let over = Request { max_response: 9, ..request };
        assert!(matches!(store.exchange(over).await, Err(Error::TooLarge { limit: 9, .. })));
    }

    /// Without a transport every network call fails with its own typed error, and nothing is sent or stored.
    #[tokio::test]
    async fn without_a_transport_network_calls_fail_clearly() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path().join("phone.db"), "王建国")
            .await
            .expect("open")
            .with_transport(Arc::new(NoTransport));
        let cancel = crate::store::Cancel::new();
        let sync = store.sync("https://sync.example.com", "flt_x", |_, _, _| Ok(()), &cancel).await;
        assert!(matches!(sync, Err(Error::NoTransport)), "{sync:?}");
        let core = crate::error::CoreError::from(Error::NoTransport);
        assert!(matches!(core, crate::error::CoreError::NoHttpTransport), "{core:?}");
        assert!(core.to_string().contains("open_with_http"), "{core}");
    }

    impl Request {
        fn header_value(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
        }
    }
}
