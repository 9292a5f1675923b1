//! Raw HTTP/1.1 over a fresh TCP connection per request, `Connection: close`: the status and the
//! body (`webkit::http` and `blobkit::request` also keep the headers).

use std::io::{Read, Write};
use std::net::TcpStream;

pub fn get(addr: &str, path: &str) -> (u16, String) {
    get_with(addr, path, &[])
}

/// GET with extra headers.
pub fn get_with(addr: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// POST a body; returns status and the raw response body.
pub fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    send(addr, "POST", path, headers, body)
}

/// Any method with a body; returns status and the raw (binary-safe) response body.
pub fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("send head");
    s.write_all(body).expect("send body");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read");
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    (status, resp[split + 4..].to_vec())
}
