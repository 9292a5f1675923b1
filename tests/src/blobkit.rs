//! Helpers for the photo upload tests (the server's tus.rs, phone_upload.rs, image_limits.rs, web.rs):
//! the server with extra flags, raw HTTP with any method, test images, database counts, and a proxy
//! that cuts the line.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use record_schema::tus::{PATCH_CONTENT_TYPE, TUS_VERSION, UPLOADS_PATH, header};
use sha2::{Digest, Sha256};

use crate::Server;
pub use crate::db::count;

/// The `Tus-Resumable` header every tus request but OPTIONS carries.
pub const TUS: (&str, &str) = (header::TUS_RESUMABLE, TUS_VERSION);
/// A PATCH's content type.
pub const OCTETS: (&str, &str) = ("Content-Type", PATCH_CONTENT_TYPE);

/// Creates an upload of `length` bytes declaring `sha256`, as `auth` (`Bearer …`); its path (the
/// Location). The creation must answer 201.
pub fn create_upload(addr: &str, auth: &str, length: usize, sha256: &str) -> String {
    let length = length.to_string();
    let r = request(
        addr,
        "POST",
        UPLOADS_PATH,
        &[TUS, ("Authorization", auth), (header::UPLOAD_LENGTH, &length), (header::UPLOAD_METADATA, &metadata(sha256))],
        b"",
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.header("tus-resumable"), Some(TUS_VERSION));
    r.header("location").expect("Location").to_string()
}

/// Uploads `bytes` whole in one PATCH, declaring `sha256`; (upload path, the PATCH's response).
pub fn upload_declaring(addr: &str, auth: &str, bytes: &[u8], sha256: &str) -> (String, Resp) {
    let path = create_upload(addr, auth, bytes.len(), sha256);
    let r = request(addr, "PATCH", &path, &[TUS, OCTETS, ("Authorization", auth), (header::UPLOAD_OFFSET, "0")], bytes);
    (path, r)
}

/// Uploads `bytes` whole in one PATCH, declaring their own SHA-256; (upload path, the PATCH's response).
pub fn upload(addr: &str, auth: &str, bytes: &[u8]) -> (String, Resp) {
    upload_declaring(addr, auth, bytes, &sha256_hex(bytes))
}

/// The server binary on `bind` (e.g. `127.0.0.1:0`) with extra flags.
pub fn start_args(data_dir: &std::path::Path, database_url: Option<&str>, bind: &str, args: &[&str]) -> Server {
    crate::start_on(data_dir, database_url, bind, args)
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn offset(&self) -> u64 {
        self.header("upload-offset")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Upload-Offset: {self:?}"))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

fn head_text(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], content_length: Option<usize>) -> String {
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let cl = content_length.map(|n| format!("Content-Length: {n}\r\n")).unwrap_or_default();
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}{cl}Connection: close\r\n\r\n")
}

/// One request on a fresh connection; the whole response.
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    let cl = if method == "HEAD" || method == "GET" || method == "OPTIONS" { None } else { Some(body.len()) };
    s.write_all(head_text(addr, method, path, headers, cl).as_bytes()).expect("send head");
    s.write_all(body).expect("send body");
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no header end: {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect::<Vec<_>>();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// A request whose body announces `declared` bytes but only `sent` are written; the connection stays
/// open until the stream is dropped (or the server dies).
pub fn partial_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    declared: usize,
    sent: &[u8],
) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(head_text(addr, method, path, headers, Some(declared)).as_bytes()).expect("send head");
    s.write_all(sent).expect("send part of the body");
    s.flush().expect("flush");
    s
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// tus Upload-Metadata for a file with this hash.
pub fn metadata(sha256: &str) -> String {
    format!("sha256 {},filename {},mime {}", b64(sha256.as_bytes()), b64("site.jpg".as_bytes()), b64(b"image/jpeg"))
}

/// A real JPEG: smooth gradients (small) or, with `noise`, random pixels (large: ~1–2 bytes a pixel).
pub fn jpeg(w: u32, h: u32, seed: u32, noise: bool) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if noise {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = state.to_le_bytes();
            image::Rgb([v[1], v[2], v[3]])
        } else {
            image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, (seed % 256) as u8])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img).expect("encode jpeg");
    out
}

/// Files under `dir` (recursively), for counting what the blob store holds.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A TCP proxy in front of the server that, once `budget` request bytes have passed, cuts every
/// connection and refuses new ones until re-armed: a signal lost in the middle of an upload.
pub struct Tripwire {
    pub addr: String,
    upstream: Arc<Mutex<String>>,
    budget: Arc<AtomicI64>,
    tripped: Arc<AtomicBool>,
}

impl Tripwire {
    pub fn new(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("addr").to_string();
        let t = Tripwire {
            addr,
            upstream: Arc::new(Mutex::new(upstream.to_string())),
            budget: Arc::new(AtomicI64::new(i64::MAX)),
            tripped: Arc::new(AtomicBool::new(false)),
        };
        let (up, budget, tripped) = (t.upstream.clone(), t.budget.clone(), t.tripped.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if tripped.load(Ordering::SeqCst) {
                    continue; // dropped: connection closed at once
                }
                let target = up.lock().expect("lock").clone();
                let Ok(server) = TcpStream::connect(&target) else { continue };
                let (budget, tripped) = (budget.clone(), tripped.clone());
                let (c2, s2) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                std::thread::spawn(move || pump(client, server, Some((budget, tripped))));
                std::thread::spawn(move || pump(s2, c2, None));
            }
        });
        t
    }

    /// Cut the line after `bytes` more request bytes.
    pub fn arm(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    /// Back to normal, towards `upstream`.
    pub fn reset(&self, upstream: &str) {
        *self.upstream.lock().expect("lock") = upstream.to_string();
        self.budget.store(i64::MAX, Ordering::SeqCst);
        self.tripped.store(false, Ordering::SeqCst);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, limit: Option<(Arc<AtomicI64>, Arc<AtomicBool>)>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if limit.as_ref().is_some_and(|(_, t)| t.load(Ordering::SeqCst)) {
            break;
        }
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut pass = n;
        if let Some((budget, tripped)) = &limit {
            let left = budget.fetch_sub(n as i64, Ordering::SeqCst);
            if left <= n as i64 {
                pass = usize::try_from(left.max(0)).unwrap_or(0);
                tripped.store(true, Ordering::SeqCst);
            }
        }
        if to.write_all(&buf[..pass]).is_err() || pass < n {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
