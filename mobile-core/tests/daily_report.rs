//! Daily report PDFs on the phone, against a small HTTP server this test runs: the first fetch
//! downloads and keeps the file (with the device's token and the language asked), the next sends
//! the kept ETag and a 304 costs no download, a new version replaces the file (the old one goes),
//! a server gone answers the kept file `from_cache`, nothing kept and offline is `Offline`; 404 is
//! `NoDailyReport` and drops the kept copy; a body over 50 MB is `DownloadTooLarge`, a page that
//! is not a PDF (a Wi-Fi login) counts as offline; a cancel stops a download that hangs.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use mobile_core::CoreError;
use mobile_core::ffi::types::{DailyReportFile, ReportLang};
use mobile_core::ffi::{CancelToken, FieldStore};

/// One answer of the fake server: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// What the fake server answers next, and what it saw.
#[derive(Default)]
struct Fake {
    /// (status, extra headers, body); the last one is repeated.
    answers: Vec<Answer>,
    /// Each request's first line and its headers (lower-cased names).
    seen: Vec<(String, Vec<(String, String)>)>,
    /// Never answer (a server that hangs).
    hang: bool,
}

fn serve(listener: TcpListener, fake: Arc<Mutex<Fake>>) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let fake = fake.clone();
            std::thread::spawn(move || answer(stream, &fake));
        }
    });
}

fn answer(stream: TcpStream, fake: &Mutex<Fake>) {
    let mut out = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let (status, extra, body, hang) = {
            let mut f = fake.lock().expect("lock");
            f.seen.push((line.trim_end().to_string(), headers));
            let next = if f.answers.len() > 1 { f.answers.remove(0) } else { f.answers[0].clone() };
            (next.0, next.1, next.2, f.hang)
        };
        if hang {
            std::thread::sleep(std::time::Duration::from_secs(30));
            return;
        }
        let mut head = format!("HTTP/1.1 {status} X\r\n");
        let mut has_length = false;
        for (k, v) in &extra {
            has_length |= k.eq_ignore_ascii_case("content-length");
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !has_length {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(&body)).is_err() {
            return;
        }
        if has_length {
            return; // a lying length: close
        }
    }
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

fn ok(etag: &str, version: i64, body: Vec<u8>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = vec![
        ("Content-Type".into(), "application/pdf".into()),
        ("ETag".into(), etag.into()),
        ("X-Report-Version".into(), version.to_string()),
    ];
    (200, headers, body)
}

fn not_modified(etag: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    (304, vec![("ETag".into(), etag.into())], Vec::new())
}

fn header<'a>(seen: &'a [(String, String)], name: &str) -> Option<&'a str> {
    seen.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<FieldStore>,
    url: String,
    fake: Arc<Mutex<Fake>>,
    rt: tokio::runtime::Runtime,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let store = FieldStore::open(dir.path().join("phone.db").display().to_string(), "王建国".into()).expect("open");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let fake = Arc::new(Mutex::new(Fake::default()));
    serve(listener, fake.clone());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    Setup { _dir: dir, store, url, fake, rt }
}

impl Setup {
    fn answers(&self, answers: Vec<Answer>) {
        let mut f = self.fake.lock().expect("lock");
        f.answers = answers;
        f.seen.clear();
    }

    fn fetch_from(&self, url: &str, date: &str, lang: ReportLang) -> Result<DailyReportFile, CoreError> {
        self.rt.block_on(self.store.fetch_daily_report_with(
            url.into(),
            "flt_foreman".into(),
            "P1".into(),
            "S1".into(),
            date.into(),
            lang,
            None,
        ))
    }

    fn fetch(&self, lang: ReportLang) -> Result<DailyReportFile, CoreError> {
        self.fetch_from(&self.url, "2026-12-05", lang)
    }

    fn seen(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.fake.lock().expect("lock").seen.clone()
    }
}

#[test]
fn a_report_is_downloaded_kept_revalidated_replaced_and_read_offline() {
    let t = setup();
    assert_eq!(
        t.store.cached_daily_report("P1".into(), "S1".into(), "2026-12-05".into(), ReportLang::En).expect("cache"),
        None
    );

    t.answers(vec![ok("\"r1-zh-CN\"", 1, pdf("version one"))]);
    let first = t.fetch(ReportLang::ZhCn).expect("first fetch");
    assert_eq!((first.version, first.from_cache, first.not_modified), (1, false, false), "{first:?}");
    assert_eq!(std::fs::read(&first.path).expect("kept file"), pdf("version one"));
    assert_eq!(
        (first.byte_size, first.downloaded_bytes),
        (pdf("version one").len() as u64, pdf("version one").len() as u64)
    );
    let seen = t.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "GET /v1/daily-reports/S1/2026-12-05/pdf?lang=zh-CN HTTP/1.1");
    assert_eq!(header(&seen[0].1, "authorization"), Some("Bearer flt_foreman"));
    assert_eq!(header(&seen[0].1, "if-none-match"), None, "nothing kept yet");
    assert!(first.path.contains(".media/reports/P1/S1/2026-12-05-zh-CN-"), "{}", first.path);

    // Again: the kept ETag goes along; the 304 keeps the file and downloads nothing.
    t.answers(vec![not_modified("\"r1-zh-CN\"")]);
    let again = t.fetch(ReportLang::ZhCn).expect("again");
    assert_eq!(header(&t.seen()[0].1, "if-none-match"), Some("\"r1-zh-CN\""));
    assert_eq!((again.not_modified, again.downloaded_bytes, again.version), (true, 0, 1), "{again:?}");
    assert_eq!(again.path, first.path);

    // Version 2: a new file; the old one goes.
    t.answers(vec![ok("\"r2-zh-CN\"", 2, pdf("version two"))]);
    let second = t.fetch(ReportLang::ZhCn).expect("version 2");
    assert_eq!((second.version, second.not_modified), (2, false));
    assert_ne!(second.path, first.path);
    assert!(!Path::new(&first.path).exists(), "version 1's file was left behind");
    assert_eq!(std::fs::read(&second.path).expect("kept file"), pdf("version two"));

    // English is its own file; Chinese's cache is not sent for it.
    t.answers(vec![ok("\"r2-en\"", 2, pdf("english"))]);
    let en = t.fetch(ReportLang::En).expect("english");
    assert_eq!(header(&t.seen()[0].1, "if-none-match"), None);
    assert!(t.seen()[0].0.contains("lang=en"));
    assert_ne!(en.path, second.path);

    // Unreachable: the kept file, marked; nothing kept for another day: Offline.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("address"))
    };
    let offline = t.fetch_from(&closed, "2026-12-05", ReportLang::ZhCn).expect("kept file offline");
    assert_eq!((offline.from_cache, offline.version, offline.path.as_str()), (true, 2, second.path.as_str()));
    let r = t.fetch_from(&closed, "2026-12-04", ReportLang::ZhCn);
    assert!(matches!(r, Err(CoreError::Offline { .. })), "{r:?}");
    // A Wi-Fi login page instead of the server counts as offline.
    t.answers(vec![(200, vec![("Content-Type".into(), "text/html".into())], b"<html>login</html>".to_vec())]);
    let portal = t.fetch(ReportLang::ZhCn).expect("kept file behind a login page");
    assert_eq!((portal.from_cache, portal.path.as_str()), (true, second.path.as_str()));
    let cached = t.store.cached_daily_report("P1".into(), "S1".into(), "2026-12-05".into(), ReportLang::ZhCn);
    assert_eq!(cached.expect("cache").map(|c| (c.path, c.version, c.from_cache)), Some((second.path.clone(), 2, true)));

    // The day's records are gone: NoDailyReport, and the kept copy with them.
    t.answers(vec![(404, vec![], br#"{"error":"not_found","field":"date","message":"no records"}"#.to_vec())]);
    let r = t.fetch(ReportLang::ZhCn);
    assert!(
        matches!(&r, Err(CoreError::NoDailyReport { site_id, date }) if site_id == "S1" && date == "2026-12-05"),
        "{r:?}"
    );
    assert!(!Path::new(&second.path).exists());
    let cached = t.store.cached_daily_report("P1".into(), "S1".into(), "2026-12-05".into(), ReportLang::ZhCn);
    assert_eq!(cached.expect("cache"), None);
}

#[test]
fn refusals_are_typed_and_keep_nothing() {
    let t = setup();
    // More than 50 MB announced: refused before reading it.
    t.answers(vec![(200, vec![("Content-Length".into(), (60u64 * 1024 * 1024).to_string())], pdf("x"))]);
    let r = t.fetch(ReportLang::En);
    assert!(matches!(r, Err(CoreError::DownloadTooLarge { limit_bytes: 52_428_800 })), "{r:?}");
    t.answers(vec![(
        503,
        vec![],
        br#"{"error":"unavailable","field":"report_font","message":"no CJK font"}"#.to_vec(),
    )]);
    let r = t.fetch(ReportLang::En);
    assert!(matches!(&r, Err(CoreError::ServerError { status: 503, reason }) if reason == "no CJK font"), "{r:?}");
    t.answers(vec![(401, vec![], b"token revoked".to_vec())]);
    assert!(matches!(t.fetch(ReportLang::En), Err(CoreError::Unauthorized { .. })));
    let bad = t.rt.block_on(t.store.fetch_daily_report_with(
        t.url.clone(),
        "t".into(),
        "P1".into(),
        "S1".into(),
        "5 Dec".into(),
        ReportLang::En,
        None,
    ));
    assert!(matches!(&bad, Err(CoreError::InvalidInput { field, .. }) if field == "date"), "{bad:?}");
    // Not paired: the paired form says so.
    let r =
        t.rt.block_on(t.store.fetch_daily_report("P1".into(), "S1".into(), "2026-12-05".into(), ReportLang::En, None));
    assert!(matches!(r, Err(CoreError::NotFound { .. })), "{r:?}");
    assert_eq!(
        t.store.cached_daily_report("P1".into(), "S1".into(), "2026-12-05".into(), ReportLang::En).expect("cache"),
        None
    );
    // Nothing half-written left in the reports folder.
    let reports = Path::new(&t.store.path()).with_extension("db.media").join("reports");
    let leftovers: Vec<_> = walk(&reports).into_iter().filter(|p| p.is_file()).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_hanging_download_is_cancelled_promptly() {
    let t = setup();
    t.answers(vec![ok("\"r1-en\"", 1, pdf("never"))]);
    t.fake.lock().expect("lock").hang = true;
    let token = Arc::new(CancelToken::new());
    let cancel = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        cancel.cancel();
    });
    let started = std::time::Instant::now();
    let r = t.rt.block_on(t.store.fetch_daily_report_with(
        t.url.clone(),
        "t".into(),
        "P1".into(),
        "S1".into(),
        "2026-12-05".into(),
        ReportLang::En,
        Some(token),
    ));
    assert!(matches!(r, Err(CoreError::Cancelled)), "{r:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "cancel did not stop the download promptly");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
