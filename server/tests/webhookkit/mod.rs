//! A webhook receiver for the webhook tests: a tiny HTTP server on 127.0.0.1 in its own thread
//! that records each request (with when it arrived) and answers scripted statuses, and the
//! Standard Webhooks signature check a receiver does.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use serde_json::Value;

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When its body had arrived.
    pub at: Instant,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    /// A query parameter of the request's target.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }
}

/// Records requests; answers the scripted statuses in order (0: no answer at all, the connection
/// held open), then 200 `{"errcode":0}`.
#[derive(Clone)]
pub struct Receiver {
    pub addr: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub fn on_free_port(script: Vec<u16>) -> Receiver {
        Receiver::start(TcpListener::bind("127.0.0.1:0").expect("bind"), script)
    }

    /// A receiver on `listener` (e.g. the port of one that went away).
    pub fn start(listener: TcpListener, script: Vec<u16>) -> Receiver {
        let addr = listener.local_addr().expect("addr").to_string();
        let got = Arc::new(Mutex::new(Vec::new()));
        let (seen, mut script) = (got.clone(), VecDeque::from(script));
        std::thread::spawn(move || {
            let mut hung = Vec::new();
            for stream in listener.incoming().flatten() {
                if let Some(g) = read_request(&stream) {
                    seen.lock().expect("lock").push(g);
                    match script.pop_front().unwrap_or(200) {
                        0 => hung.push(stream),
                        status => answer(stream, status),
                    }
                }
            }
        });
        Receiver { addr, got }
    }

    pub fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `n` requests arrived (at most 30 s).
    pub fn wait_for(&self, n: usize) -> Vec<Got> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.got();
            if got.len() >= n || Instant::now() > until {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Got> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Got { target, headers, body, at: Instant::now() })
}

fn answer(mut stream: TcpStream, status: u16) {
    let body = if status == 200 { r#"{"errcode":0,"errmsg":"ok"}"# } else { r#"{"error":"scripted"}"# };
    let text = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes());
}

/// Checks a Standard Webhooks delivery as a receiver would, with the endpoint's `whsec_` key.
pub fn verify_standard(key: &str, g: &Got) {
    let id = g.header("webhook-id").expect("webhook-id");
    let ts = g.header("webhook-timestamp").expect("webhook-timestamp");
    let ts_n: i64 = ts.parse().expect("timestamp");
    let now = chrono::Utc::now().timestamp();
    assert!((now - ts_n).abs() < 300, "timestamp {ts_n} vs now {now}");
    let key = STANDARD.decode(key.trim_start_matches("whsec_")).expect("key");
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(&g.body);
    let want = format!("v1,{}", STANDARD.encode(hmac(&key, &msg)));
    let sigs = g.header("webhook-signature").expect("webhook-signature");
    assert!(sigs.split(' ').any(|s| s == want), "signature {sigs} != {want}");
}

/// HMAC-SHA256 of `msg` under `key`.
pub fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = hmac::Hmac::<sha2_hmac::Sha256>::new_from_slice(key).expect("key");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}
