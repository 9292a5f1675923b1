//! The supervisor pages' benchmark (issue 19): signs in to a running server as a supervisor, finds
//! the `/web/` pages (the screens' own links, from the queue, cost, schedule and labour pages two
//! links deep, plus the exports and views named below), then requests each `--reps` times,
//! interleaved (one round through every page, then the next), and reports per page the status,
//! bytes and the server's response time (request sent to last byte, on its own connection: p50,
//! p95, max), and the time headless Chromium takes to load and render it (navigation start to the
//! end of the load event, `performance.getEntriesByType('navigation')`, p50 and max of
//! `--browser-reps`).
//!
//! With several `--addr` (e.g. the server before and after a change, both on the same database),
//! every request goes to each in turn, so the builds are compared under the same load.
//!
//! ```text
//! fieldledger-pagebench --addr 127.0.0.1:8090 --token-file seed-supervisor-tokens.txt --reps 20
//! ```
//!
//! `scripts/bench-pages.sh` seeds, starts the server and runs this; docs/measurements.md has the
//! figures. Targets (issue 19): p50 < 100 ms per page and export, < 2 s for a whole-history export;
//! Chromium < 1 s per page. Std and serde_json only: one plain HTTP/1.1 request per connection, and
//! chromedriver spoken to in JSON as the test harness does (tests/src/webkit.rs).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(name = "fieldledger-pagebench", about = "Time every /web/ page of a running Fieldledger server")]
struct Args {
    /// The server (host:port), already serving the seeded database. Repeat to compare servers.
    #[arg(long, default_value = "127.0.0.1:8090")]
    addr: Vec<String>,
    /// A supervisor token (else read from --token-file).
    #[arg(long, env = "FL_SUPERVISOR_TOKEN")]
    token: Option<String>,
    /// `project token` lines, as fieldledger-seed writes them.
    #[arg(long, default_value = "seed-supervisor-tokens.txt")]
    token_file: PathBuf,
    /// The project whose token is used.
    #[arg(long, default_value = "SEED-01")]
    project: String,
    /// Timed requests per page (after one untimed warm-up).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// Chromium loads per HTML page (0: no browser).
    #[arg(long, default_value_t = 5)]
    browser_reps: usize,
    /// Pages found by following links, at most this many per route and set of query keys.
    #[arg(long, default_value_t = 6)]
    variants: usize,
    /// Pages found by following links, at most this many in all.
    #[arg(long, default_value_t = 40)]
    max_pages: usize,
    /// A further page to time, `name=/web/path?query` (repeatable).
    #[arg(long)]
    page: Vec<String>,
    /// Only pages whose name or path contains this (repeatable; all when none).
    #[arg(long)]
    only: Vec<String>,
    /// Write every figure as JSON here too.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long, default_value = "/usr/bin/chromium")]
    chromium: String,
    #[arg(long, default_value = "/usr/bin/chromedriver")]
    chromedriver: String,
}

/// One HTTP answer, timed from the request's first byte to the body's last.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    elapsed: Duration,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, c)| c.split(';').next()?.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

type Error = Box<dyn std::error::Error>;

/// One HTTP/1.1 request on its own connection; a chunked body is decoded.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Resp, Error> {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    s.write_all(&out)?;
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(format!("{path}: connection closed before the response head").into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    match length {
        // chromedriver keeps the socket open after `Connection: close`: read by length.
        Some(len) => {
            while raw.len() < split + 4 + len {
                let n = s.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            s.read_to_end(&mut raw)?;
        }
    }
    let elapsed = started.elapsed();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok(Resp { status, headers, body, elapsed })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).split(';').next().unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = b.get(eol + 2 + size + 2..).unwrap_or_default();
    }
    out
}

/// The value of hidden input `name` (the sign-in form's CSRF field).
fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in through the form, as a browser does; the session cookie.
fn sign_in(addr: &str, token: &str) -> Result<String, Error> {
    let page = http(addr, "GET", "/web/sign-in", &[], b"")?;
    let pre = page.cookie("fl_signin_csrf").ok_or("the sign-in page set no CSRF cookie")?;
    let csrf = hidden(&page.text(), "csrf").ok_or("the sign-in page has no csrf field")?;
    let cookie = format!("fl_signin_csrf={pre}");
    let body = format!("csrf={}&token={}&next=%2Fweb%2Fqueue", urlencode(&csrf), urlencode(token));
    let r = http(
        addr,
        "POST",
        "/web/sign-in",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        body.as_bytes(),
    )?;
    r.cookie("fl_session")
        .ok_or_else(|| format!("sign-in answered {} without a session: {}", r.status, r.text()).into())
}

/// Same-site links of a page (`href="/web/…"`), entities decoded.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        let href = rest[..end].replace("&amp;", "&");
        rest = &rest[end..];
        if !href.starts_with("/web/") {
            continue;
        }
        let path = href.split('?').next().unwrap_or_default();
        let skip = ["/web/static/", "/web/lang", "/web/sign-in", "/web/sign-out", "/web/photos/"];
        if skip.iter().any(|s| path.starts_with(s)) && !path.ends_with("/web/photos/") {
            continue;
        }
        out.push(href.split('#').next().unwrap_or_default().to_string());
    }
    out
}

/// What pages of one route and set of query keys share: ids in the path become `{id}`.
fn family(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let path: Vec<String> = path
        .split('/')
        .map(|seg| {
            // Record ids, cost codes, dates: any segment with a digit names one of many.
            if seg.chars().any(|c| c.is_ascii_digit()) { "{key}".to_string() } else { seg.to_string() }
        })
        .collect();
    let mut keys: Vec<&str> =
        query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() { path.join("/") } else { format!("{}?{}", path.join("/"), keys.join("&")) }
}

/// A page to time: its name in the report, path, and the target its p50 must meet.
#[derive(Debug, Clone)]
struct Page {
    name: String,
    path: String,
    target: Duration,
}

/// The first and last day of the month before `today`.
fn last_month(today: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let first_this = today.with_day(1).unwrap_or(today);
    let last = first_this.pred_opt().unwrap_or(first_this);
    (last.with_day(1).unwrap_or(last), last)
}

/// The pages to time: the named ones, then what following links finds.
fn discover(args: &Args, addr: &str, cookie: &str) -> Result<Vec<Page>, Error> {
    let today = chrono::Utc::now().date_naive();
    let (m1, m2) = last_month(today);
    let fast = Duration::from_millis(100);
    let whole = Duration::from_secs(2);
    let named: Vec<(String, String, Duration)> = vec![
        ("queue".into(), "/web/queue".into(), fast),
        ("cost".into(), "/web/cost".into(), fast),
        ("schedule".into(), "/web/schedule".into(), fast),
        ("labour (default)".into(), "/web/labour".into(), fast),
        ("labour, last month by day".into(), format!("/web/labour?from={m1}&to={m2}&period=day"), fast),
        ("labour, whole history by month".into(), format!("/web/labour?from=2000-01-01&to={today}&period=month"), fast),
        ("labour export CSV (default)".into(), "/web/labour/export?format=csv".into(), fast),
        ("labour export XLSX, last month".into(), format!("/web/labour/export?format=xlsx&from={m1}&to={m2}"), fast),
        (
            "labour export CSV, whole history by day".into(),
            format!("/web/labour/export?format=csv&from=2000-01-01&to={today}&period=day"),
            whole,
        ),
        (
            "labour export XLSX, whole history by day".into(),
            format!("/web/labour/export?format=xlsx&from=2000-01-01&to={today}&period=day"),
            whole,
        ),
        ("cost export CSV".into(), "/web/cost/export?format=csv".into(), fast),
        ("cost export XLSX".into(), "/web/cost/export?format=xlsx".into(), fast),
        ("schedule export XLSX".into(), "/web/schedule/export?format=xlsx".into(), fast),
        ("cost drill-down 01-01".into(), "/web/cost/01-01".into(), fast),
        ("photos (today)".into(), format!("/web/photos?date={today}"), fast),
    ];
    let mut pages: Vec<Page> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (name, path, target) in named {
        seen.insert(path.clone());
        pages.push(Page { name, path, target });
    }
    for extra in &args.page {
        let (name, path) = extra.split_once('=').ok_or_else(|| format!("--page {extra:?}: expected name=/web/…"))?;
        seen.insert(path.to_string());
        pages.push(Page { name: name.into(), path: path.into(), target: fast });
    }
    // Follow the screens' own links, two deep, breadth first.
    let mut per_family: HashMap<String, usize> = HashMap::new();
    let mut queue: VecDeque<(String, usize)> =
        ["/web/queue", "/web/cost", "/web/schedule", "/web/labour"].iter().map(|p| (p.to_string(), 0)).collect();
    let mut fetched = HashSet::new();
    let mut found = 0;
    while let Some((path, depth)) = queue.pop_front() {
        if depth >= 2 || !fetched.insert(path.clone()) {
            continue;
        }
        let r = http(addr, "GET", &path, &[("Cookie", cookie)], b"")?;
        if r.status != 200 || !r.header("content-type").unwrap_or_default().starts_with("text/html") {
            continue;
        }
        for href in links(&r.text()) {
            if seen.contains(&href) || found >= args.max_pages {
                continue;
            }
            let fam = family(&href);
            let n = per_family.entry(fam.clone()).or_default();
            if *n >= args.variants {
                continue;
            }
            *n += 1;
            found += 1;
            seen.insert(href.clone());
            let whole_history = href.contains("/export") && !href.contains("from=2");
            let target = if whole_history { whole } else { fast };
            pages.push(Page { name: format!("{fam} (linked)"), path: href.clone(), target });
            queue.push_back((href, depth + 1));
        }
    }
    if !args.only.is_empty() {
        pages.retain(|p| args.only.iter().any(|o| p.name.contains(o.as_str()) || p.path.contains(o.as_str())));
    }
    Ok(pages)
}

/// chromedriver and a headless Chromium session; both end on drop.
struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(&self.addr, "DELETE", &format!("/session/{}", self.session), &[], b"");
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start(args: &Args) -> Result<Browser, Error> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let driver = Command::new(&args.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start {}: {e}", args.chromedriver))?;
        let mut b = Browser { driver, addr, session: String::new() };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http(&b.addr, "GET", "/status", &[], b"") {
                let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                if v["value"]["ready"] == true {
                    break;
                }
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not become ready".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": args.chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1440,900", "--lang=en-US"],
            }
        }}});
        let v = b.raw("POST", "/session", Some(caps))?;
        b.session = v["sessionId"].as_str().ok_or_else(|| format!("no session: {v}"))?.to_string();
        Ok(b)
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let r = http(&self.addr, method, path, &[("Content-Type", "application/json")], body.as_bytes())?;
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| format!("{method} {path}: {e}"))?;
        if r.status != 200 {
            return Err(format!("{method} {path}: {v}").into());
        }
        Ok(v["value"].clone())
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Error> {
        self.raw(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `url` (WebDriver waits for the load) and reads the navigation's timing: load end and
    /// DOM content loaded, in ms from navigation start, and the element count.
    fn load(&self, url: &str) -> Result<(f64, f64, u64), Error> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))?;
        let script = "const n = performance.getEntriesByType('navigation')[0]; \
                      return n ? [n.loadEventEnd, n.domContentLoadedEventEnd, document.getElementsByTagName('*').length] : null;";
        for _ in 0..200 {
            let v = self.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))?;
            let load = v[0].as_f64().unwrap_or(0.0);
            if load > 0.0 {
                return Ok((load, v[1].as_f64().unwrap_or(0.0), v[2].as_u64().unwrap_or(0)));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("{url}: the load event never ended").into())
    }
}

#[derive(Debug, Default, Clone)]
struct Figures {
    status: u16,
    bytes: usize,
    content_type: String,
    first: Duration,
    times: Vec<Duration>,
    /// Chromium: load end (ms), DOM content loaded (ms), elements.
    browser: Vec<(f64, f64, u64)>,
    browser_error: Option<String>,
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

fn kib(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let token = match &args.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(&args.token_file)
            .map_err(|e| format!("{}: {e}", args.token_file.display()))?
            .lines()
            .filter_map(|l| l.split_once(' '))
            .find(|(p, _)| *p == args.project)
            .map(|(_, t)| t.trim().to_string())
            .ok_or_else(|| format!("no token for {} in {}", args.project, args.token_file.display()))?,
    };
    let cookies: Vec<String> =
        args.addr.iter().map(|a| sign_in(a, &token).map(|s| format!("fl_session={s}"))).collect::<Result<_, _>>()?;
    let pages = discover(&args, &args.addr[0], &cookies[0])?;
    eprintln!("{} pages on {}; {} timed requests each per server", pages.len(), args.addr.join(", "), args.reps);
    // figures[server][page]
    let mut figures: Vec<Vec<Figures>> = vec![vec![Figures::default(); pages.len()]; args.addr.len()];
    // Warm-up (timed apart: the first request after a start reads cold caches).
    for (i, page) in pages.iter().enumerate() {
        for (s, addr) in args.addr.iter().enumerate() {
            let r = http(addr, "GET", &page.path, &[("Cookie", &cookies[s])], b"")?;
            let f = &mut figures[s][i];
            f.status = r.status;
            f.bytes = r.body.len();
            f.content_type = r.header("content-type").unwrap_or_default().to_string();
            f.first = r.elapsed;
        }
    }
    let started = Instant::now();
    for rep in 0..args.reps {
        for (i, page) in pages.iter().enumerate() {
            for k in 0..args.addr.len() {
                // Alternate which server goes first.
                let s = (k + rep + i) % args.addr.len();
                let r = http(&args.addr[s], "GET", &page.path, &[("Cookie", &cookies[s])], b"")?;
                figures[s][i].times.push(r.elapsed);
            }
        }
        eprint!("\rround {}/{} ({:.0} s)", rep + 1, args.reps, started.elapsed().as_secs_f64());
    }
    eprintln!();
    if args.browser_reps > 0 {
        match Browser::start(&args) {
            Ok(b) => {
                for (s, addr) in args.addr.iter().enumerate() {
                    // A page of the site first, so the session cookie can be set for it.
                    b.cmd("POST", "/url", Some(json!({ "url": format!("http://{addr}/web/sign-in") })))?;
                    let session = cookies[s].trim_start_matches("fl_session=");
                    b.cmd(
                        "POST",
                        "/cookie",
                        Some(json!({ "cookie": { "name": "fl_session", "value": session, "path": "/" } })),
                    )?;
                    for rep in 0..=args.browser_reps {
                        for (i, page) in pages.iter().enumerate() {
                            let f = &figures[s][i];
                            if f.status != 200 || !f.content_type.starts_with("text/html") {
                                continue;
                            }
                            // A page that takes over 10 s is loaded once more, not every round.
                            if rep > 1 && figures[s][i].browser.first().is_some_and(|t| t.0 > 10_000.0) {
                                continue;
                            }
                            match b.load(&format!("http://{addr}{}", page.path)) {
                                // The first round warms Chromium's cache of the CSS and script.
                                Ok(t) if rep > 0 => figures[s][i].browser.push(t),
                                Ok(_) => {}
                                Err(e) => figures[s][i].browser_error = Some(e.to_string()),
                            }
                        }
                    }
                }
            }
            Err(e) => eprintln!("no browser figures: {e}"),
        }
    }
    report(&args, &pages, &mut figures);
    Ok(())
}

fn report(args: &Args, pages: &[Page], figures: &mut [Vec<Figures>]) {
    let mut json_out = Vec::new();
    for (s, addr) in args.addr.iter().enumerate() {
        println!(
            "\n### {addr}: {} timed requests per page (p50 / p95 / max, ms), Chromium load (p50 / max, ms)\n",
            args.reps
        );
        println!(
            "| page | path | status | bytes | first | p50 | p95 | max | target | Chromium load p50 / max | elements |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let mut over = BTreeMap::new();
        for (i, page) in pages.iter().enumerate() {
            let f = &mut figures[s][i];
            f.times.sort();
            let (p50, p95, max) = (pct(&f.times, 0.5), pct(&f.times, 0.95), pct(&f.times, 1.0));
            let mut loads: Vec<f64> = f.browser.iter().map(|b| b.0).collect();
            loads.sort_by(f64::total_cmp);
            let browser = match (loads.is_empty(), &f.browser_error) {
                (false, _) => format!("{:.0} / {:.0}", loads[(loads.len() - 1) / 2], loads[loads.len() - 1]),
                (true, Some(e)) => format!("error: {}", e.chars().take(60).collect::<String>()),
                (true, None) => "—".into(),
            };
            let elements = f.browser.last().map(|b| b.2.to_string()).unwrap_or_else(|| "—".into());
            let slow = f.status == 200 && p50 > page.target;
            let slow_browser = loads.get((loads.len().max(1) - 1) / 2).is_some_and(|l| *l > 1000.0);
            if f.status != 200 {
                over.insert(page.name.clone(), format!("answered {}", f.status));
            } else if slow || slow_browser {
                over.insert(page.name.clone(), format!("p50 {} ms, Chromium {browser} ms", ms(p50)));
            }
            println!(
                "| {} | `{}` | {} | {} | {} | {}{} | {} | {} | {} | {} | {} |",
                page.name,
                page.path,
                f.status,
                kib(f.bytes),
                ms(f.first),
                if slow { "**" } else { "" },
                ms(p50) + if slow { "**" } else { "" },
                ms(p95),
                ms(max),
                ms(page.target),
                browser,
                elements
            );
            json_out.push(json!({
                "server": addr, "page": page.name, "path": page.path, "status": f.status, "bytes": f.bytes,
                "first_ms": f.first.as_secs_f64() * 1e3, "p50_ms": p50.as_secs_f64() * 1e3,
                "p95_ms": p95.as_secs_f64() * 1e3, "max_ms": max.as_secs_f64() * 1e3,
                "target_ms": page.target.as_secs_f64() * 1e3,
                "browser_load_ms": loads, "browser_elements": f.browser.last().map(|b| b.2),
            }));
        }
        if over.is_empty() {
            println!("\nEvery page met its target on {addr}.");
        } else {
            println!("\nOver target or not answering on {addr}:");
            for (name, why) in over {
                println!("- {name}: {why}");
            }
        }
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&json_out).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("{}: {e}", path.display());
        }
    }
}
