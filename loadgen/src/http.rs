//! A kept-alive HTTP/1.1 connection (hyper's client connection API) that counts the bytes that
//! actually cross the socket, headers included.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Bytes written to and read from the socket, shared by all connections of a run.
#[derive(Default, Debug)]
pub struct WireCounters {
    pub up: AtomicU64,
    pub down: AtomicU64,
}

struct Counted {
    inner: TcpStream,
    counters: Arc<WireCounters>,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.counters.down.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.counters.up.fetch_add(*n as u64, Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub struct Conn {
    host: String,
    counters: Arc<WireCounters>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

impl Conn {
    /// `host` is `ip:port`; the connection is opened on first use and reopened after a failure.
    pub fn new(host: String, counters: Arc<WireCounters>) -> Conn {
        Conn { host, counters, sender: None }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Error> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(&self.host).await?;
            stream.set_nodelay(true)?;
            let io = TokioIo::new(Counted { inner: stream, counters: self.counters.clone() });
            let (sender, conn) = hyper::client::conn::http1::handshake(io).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().ok_or("no connection")?;
        sender.ready().await?;
        Ok(sender)
    }

    /// POSTs a CBOR body with a bearer token; returns the status and the response body.
    pub async fn post(&mut self, path: &str, token: &str, body: Vec<u8>) -> Result<(u16, Bytes), Error> {
        let req = Request::post(path)
            .header(HOST, self.host.as_str())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/cbor")
            .header("fieldledger-app", concat!("fieldledger-loadgen/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(Bytes::from(body)))?;
        let result = async {
            let resp = self.sender().await?.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, Error>((status, body))
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}
