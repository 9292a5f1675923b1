//! Starts the real server binary on its embedded default and asks it for its health.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldledger-server"))
        .args(["--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read first line");
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("unexpected: {line:?}")).to_string();
    Server { child, addr }
}

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

#[test]
fn starts_on_a_fresh_data_folder_and_reports_healthy() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("nested").join("data");
    let server = start(&data);
    let (status, body) = get(&server.addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    assert!(data.join("server.db").is_file(), "database created in the data folder");
    let (status, _) = get(&server.addr, "/no-such-page");
    assert_eq!(status, 404);
    drop(server);
    // A restart on the same folder finds its migrated database.
    let again = start(&data);
    assert_eq!(get(&again.addr, "/healthz").0, 200);
}
