//! `fieldledger-loadgen`: simulates N phones syncing labour sheets against a Fieldledger server
//! (`POST /v1/sync`) and reports syncs/s, requests/s, latency, bytes per sync, server CPU per sync,
//! and the ratio of server CPU per sync to Automerge's own cost of the same merges (replayed in
//! process, see `baseline.rs`). See the README's "Load generator" section.

mod baseline;
mod floor;
mod http;
mod phone;
mod procfs;

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use record_schema::now_ms;
use record_schema::wire::SyncResponse;
use serde_json::json;

use crate::http::{Conn, WireCounters};
use crate::phone::{MAX_ROUNDS, Phone, settled};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Parser)]
#[command(name = "fieldledger-loadgen", version, about = "Simulates many phones syncing against a Fieldledger server")]
struct Args {
    /// Target a running server (`http://127.0.0.1:8080`). Tokens are minted with `--server-bin`
    /// against the same database, so give the server's `--data-dir` or `--database-url` too.
    #[arg(long, conflicts_with = "spawn", required_unless_present_any = ["spawn", "serve_floor"])]
    server: Option<String>,
    /// PID of the `--server` process, for its CPU time.
    #[arg(long, requires = "server")]
    server_pid: Option<u32>,
    /// Start the server binary on a fresh data folder (and stop it at the end).
    #[arg(long)]
    spawn: bool,
    /// With `--spawn`: instead of the Fieldledger server, start the floor, this binary serving the
    /// same protocol over the same HTTP stack from memory only (no database, token check,
    /// validation or durability). Its CPU per sync is the least any HTTP server of the protocol
    /// spends: how far the real server's ratio could fall (`floor.rs`).
    #[arg(long, requires = "spawn", conflicts_with_all = ["database_url", "server_bin"])]
    floor: bool,
    /// Serve the floor (what `--floor` starts; not for use by hand).
    #[arg(long, hide = true)]
    serve_floor: bool,
    /// The server binary (default: `fieldledger-server` next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// PostgreSQL for the server (default SQLite in the data folder). With `--spawn`, use a database
    /// of its own: the run leaves its devices and documents there.
    #[arg(long)]
    database_url: Option<String>,
    /// The server's data folder (default with `--spawn`: a temporary folder, removed afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Simulated phones.
    #[arg(long, default_value_t = 1000)]
    phones: usize,
    /// Projects the phones are spread over (round robin). Phones of one project receive each
    /// other's sheets, so each sync also carries the peers' edits since the phone's last sync.
    #[arg(long, default_value_t = 1000)]
    projects: usize,
    /// Syncs in flight at once (each on its own kept-alive connection); at most `--phones`.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of the measured phase (ignored with `--syncs`).
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Measure exactly this many syncs instead of a duration.
    #[arg(long)]
    syncs: Option<u64>,
    /// Start syncs at this many per second (open loop; latency then includes waiting for one of the
    /// `--concurrency` connections). Default: closed loop, each connection starts its next sync as
    /// soon as the last one settled.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of unmeasured edit syncs before the measured phase.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Crew lines on each phone's sheet.
    #[arg(long, default_value_t = 4)]
    lines: usize,
    /// Worker threads of the load generator's own runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Skip the in-process Automerge baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Afterwards, read every phone's sheet back through a fresh client and compare.
    #[arg(long)]
    verify: bool,
    /// Print the figures as one JSON object on stdout (the human report goes to stderr).
    #[arg(long)]
    json: bool,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if args.serve_floor {
        return match floor::serve() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("fieldledger-loadgen --serve-floor: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads.max(1)).enable_all().build();
    let result = match rt {
        Ok(rt) => rt.block_on(run(args)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("fieldledger-loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The server this run started; stopped on drop.
struct Spawned {
    child: Child,
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_bin(args: &Args) -> Result<PathBuf, Error> {
    if let Some(p) = &args.server_bin {
        return Ok(p.clone());
    }
    Ok(std::env::current_exe()?.with_file_name(format!("fieldledger-server{}", std::env::consts::EXE_SUFFIX)))
}

fn server_command(args: &Args, data_dir: &std::path::Path) -> Result<Command, Error> {
    let mut cmd = Command::new(server_bin(args)?);
    match &args.database_url {
        Some(url) => cmd.env("DATABASE_URL", url),
        None => cmd.env_remove("DATABASE_URL"),
    };
    cmd.arg("--data-dir").arg(data_dir);
    Ok(cmd)
}

fn spawn_server(args: &Args, data_dir: &std::path::Path) -> Result<(Spawned, String), Error> {
    let mut cmd = if args.floor {
        let mut c = Command::new(std::env::current_exe()?);
        c.arg("--serve-floor");
        c
    } else {
        let mut c = server_command(args, data_dir)?;
        c.args(["--bind", "127.0.0.1:0"]);
        c
    };
    let mut child = cmd
        .env("RUST_LOG", std::env::var("FIELDLEDGER_LOADGEN_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            format!("starting {}: {e}", server_bin(args).map(|p| p.display().to_string()).unwrap_or_default())
        })?;
    let mut stdout = std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let spawned = Spawned { child, _stdout: stdout };
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("the server said {line:?}"))?
        .to_string();
    Ok((spawned, addr))
}

/// Mints `count` foreman tokens for `project` with the server's admin command.
fn mint_tokens(args: &Args, data_dir: &std::path::Path, project: &str, count: usize) -> Result<Vec<String>, Error> {
    let out = server_command(args, data_dir)?
        .args([
            "token",
            "create",
            "--project",
            project,
            "--role",
            "foreman",
            "--name",
            "loadgen",
            "--count",
            &count.to_string(),
        ])
        .env("RUST_LOG", "warn")
        .output()?;
    if !out.status.success() {
        return Err(format!("token create: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let tokens: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    if tokens.len() != count {
        return Err(format!("token create printed {} tokens, not {count}", tokens.len()).into());
    }
    Ok(tokens)
}

/// One sync as the phone saw it.
#[derive(Debug, Default, Clone)]
struct SyncRecord {
    micros: u64,
    requests: u32,
    docs_sent: u32,
    docs_received: u32,
    payload_up: u64,
    payload_down: u64,
    doc_errors: u32,
    failure: Option<String>,
}

/// Edit syncs until `deadline` or `limit` syncs have started.
#[derive(Clone, Copy)]
enum Mode {
    /// Every phone syncs once (no edit).
    Once,
    /// Edit and sync, over and over.
    /// With `rate`, sync number k starts at `start + k / rate` (open loop) and its latency counts
    /// from then, so time spent waiting for a free connection is included.
    Edits { start: Instant, deadline: Instant, limit: Option<u64>, rate: Option<f64> },
    /// A fresh client per phone reads its sheet back.
    Verify,
}

#[derive(Default)]
struct WorkerOut {
    syncs: Vec<SyncRecord>,
    request_micros: Vec<u64>,
    verified: u64,
    mismatched: Vec<String>,
}

struct Shared {
    queue: Mutex<VecDeque<Phone>>,
    done: Mutex<Vec<Phone>>,
    started: AtomicU64,
    mode: Mode,
}

async fn sync_phone(conn: &mut Conn, phone: &mut Phone, start: Instant, request_micros: &mut Vec<u64>) -> SyncRecord {
    let mut rec = SyncRecord::default();
    let mut need_entries;
    let mut finished = false;
    let mut req = phone.request(false);
    for _ in 0..MAX_ROUNDS {
        let sent = req.docs.len();
        rec.docs_sent += sent as u32;
        let mut body = Vec::new();
        if let Err(e) = ciborium::into_writer(&req, &mut body) {
            rec.failure = Some(format!("encoding: {e}"));
            break;
        }
        rec.payload_up += body.len() as u64;
        let t = Instant::now();
        let answer = conn.post("/v1/sync", &phone.token, body).await;
        rec.requests += 1;
        let resp: SyncResponse = match answer {
            Ok((200, bytes)) => {
                request_micros.push(t.elapsed().as_micros() as u64);
                rec.payload_down += bytes.len() as u64;
                match ciborium::from_reader(bytes.as_ref()) {
                    Ok(r) => r,
                    Err(e) => {
                        rec.failure = Some(format!("undecodable response: {e}"));
                        break;
                    }
                }
            }
            Ok((status, bytes)) => {
                rec.failure = Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
                break;
            }
            Err(e) => {
                rec.failure = Some(format!("request failed: {e}"));
                break;
            }
        };
        need_entries = resp.need_manifest;
        rec.docs_received += resp.docs.len() as u32;
        let done = settled(sent, &resp);
        let errors = phone.apply(resp);
        if let Some(e) = errors.first()
            && rec.failure.is_none()
        {
            rec.failure = Some(format!("document {}: {} ({})", e.id, e.code, e.message));
        }
        rec.doc_errors += errors.len() as u32;
        if done {
            finished = true;
            break;
        }
        // As the real phone: stop when the answer is answered and there is nothing more to say.
        req = phone.request(std::mem::take(&mut need_entries));
        if req.docs.is_empty() && req.entries.is_none() {
            finished = true;
            break;
        }
    }
    if !finished && rec.failure.is_none() {
        rec.failure = Some(format!("did not settle in {MAX_ROUNDS} rounds"));
    }
    phone.persist_states();
    rec.micros = start.elapsed().as_micros() as u64;
    rec
}

async fn worker(shared: Arc<Shared>, mut conn: Conn, record: bool) -> WorkerOut {
    let mut out = WorkerOut::default();
    loop {
        let mut start = Instant::now();
        if let Mode::Edits { start: t0, deadline, limit, rate } = shared.mode {
            let ticket = shared.started.fetch_add(1, Ordering::Relaxed);
            if limit.is_some_and(|l| ticket >= l) {
                break;
            }
            if let Some(rate) = rate {
                start = t0 + Duration::from_secs_f64(ticket as f64 / rate);
                if limit.is_none() && start >= deadline {
                    break;
                }
                tokio::time::sleep_until(start.into()).await;
            } else if limit.is_none() && start >= deadline {
                break;
            }
        }
        let next = shared.queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
        let Some(mut phone) = next else {
            if matches!(shared.mode, Mode::Edits { .. }) {
                tokio::task::yield_now().await;
                continue;
            }
            break;
        };
        let mut request_micros = Vec::new();
        let rec = match shared.mode {
            Mode::Once => sync_phone(&mut conn, &mut phone, start, &mut request_micros).await,
            Mode::Edits { .. } => {
                phone.edit(now_ms());
                sync_phone(&mut conn, &mut phone, start, &mut request_micros).await
            }
            Mode::Verify => {
                let mut fresh =
                    Phone::empty(phone.index, phone.token.clone(), phone.project.clone(), phone.sheet_id.clone());
                let rec = sync_phone(&mut conn, &mut fresh, start, &mut request_micros).await;
                match (fresh.own_sheet(), phone.own_sheet()) {
                    (Some(a), Some(b)) if a == b => out.verified += 1,
                    (a, _) => out.mismatched.push(format!(
                        "phone {}: the server's {} {}",
                        phone.index,
                        phone.sheet_id,
                        if a.is_some() { "differs from the phone's" } else { "was not received" }
                    )),
                }
                rec
            }
        };
        if record {
            out.request_micros.extend(request_micros);
            out.syncs.push(rec);
        } else if let Some(f) = rec.failure {
            out.syncs.push(SyncRecord { failure: Some(f), ..Default::default() });
        }
        match shared.mode {
            Mode::Edits { .. } => shared.queue.lock().map(|mut q| q.push_back(phone)).unwrap_or(()),
            _ => shared.done.lock().map(|mut d| d.push(phone)).unwrap_or(()),
        }
    }
    out
}

/// Runs `mode` over `phones` with `concurrency` connections; returns the phones (in index order)
/// and what the workers saw.
async fn phase(
    phones: Vec<Phone>,
    mode: Mode,
    concurrency: usize,
    host: &str,
    counters: &Arc<WireCounters>,
    record: bool,
) -> Result<(Vec<Phone>, WorkerOut), Error> {
    let shared = Arc::new(Shared {
        queue: Mutex::new(phones.into()),
        done: Mutex::new(Vec::new()),
        started: AtomicU64::new(0),
        mode,
    });
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        set.spawn(worker(shared.clone(), Conn::new(host.to_string(), counters.clone()), record));
    }
    let mut all = WorkerOut::default();
    while let Some(out) = set.join_next().await {
        let out = out?;
        all.syncs.extend(out.syncs);
        all.request_micros.extend(out.request_micros);
        all.verified += out.verified;
        all.mismatched.extend(out.mismatched);
    }
    let shared = Arc::into_inner(shared).ok_or("workers still hold the phones")?;
    let mut phones: Vec<Phone> = shared.queue.into_inner().map_err(|_| "poisoned")?.into();
    phones.extend(shared.done.into_inner().map_err(|_| "poisoned")?);
    phones.sort_by_key(|p| p.index);
    Ok((phones, all))
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn failures(out: &WorkerOut) -> (usize, u64, Option<String>) {
    let failed = out.syncs.iter().filter(|s| s.failure.is_some() && s.doc_errors == 0).count();
    let doc_errors = out.syncs.iter().map(|s| u64::from(s.doc_errors)).sum();
    (failed, doc_errors, out.syncs.iter().find_map(|s| s.failure.clone()))
}

/// The in-process Automerge baseline: the same phones, setup and schedule against `MemServer`;
/// returns (Automerge µs per measured sync, rounds per measured sync, µs to load one sheet from its
/// saved bytes: what the server pays per document per request without a document cache).
fn automerge_baseline(
    args: &Args,
    projects: &[String],
    run: &str,
    warm_syncs: u64,
    measured_syncs: u64,
) -> (f64, f64, f64) {
    let mut server = baseline::MemServer::default();
    let mut phones: Vec<Phone> = (0..args.phones)
        .map(|i| Phone::new(i, String::new(), projects[i % projects.len()].clone(), run, args.lines))
        .collect();
    for _pass in 0..2 {
        for p in &mut phones {
            server.sync(p);
        }
    }
    let n = phones.len().max(1);
    let mut i = 0usize;
    for _ in 0..warm_syncs {
        phones[i % n].edit(now_ms());
        server.sync(&mut phones[i % n]);
        i += 1;
    }
    server.automerge = Duration::ZERO;
    let mut rounds = 0u64;
    for _ in 0..measured_syncs {
        phones[i % n].edit(now_ms());
        rounds += u64::from(server.sync(&mut phones[i % n]));
        i += 1;
    }
    let m = measured_syncs.max(1) as f64;
    let saved: Vec<Vec<u8>> = phones.iter_mut().filter_map(|p| p.docs.get_mut(&p.sheet_id).map(|d| d.save())).collect();
    let t = Instant::now();
    for bytes in &saved {
        let _ = automerge::AutoCommit::load(bytes);
    }
    let load_us = t.elapsed().as_secs_f64() * 1e6 / saved.len().max(1) as f64;
    (server.automerge.as_secs_f64() * 1e6 / m, rounds as f64 / m, load_us)
}

/// A foreman token per phone, minted with the server's admin command; phone i is of project
/// i mod the number of projects.
fn mint_all(args: &Args, data_dir: &std::path::Path, projects: &[String]) -> Result<Vec<String>, Error> {
    let mut tokens = Vec::with_capacity(args.phones);
    let per_project: Vec<usize> =
        (0..projects.len()).map(|p| (0..args.phones).filter(|i| i % projects.len() == p).count()).collect();
    // One admin command per project, a few at a time (each is a process start and a migration check).
    let mut minted: Vec<std::vec::IntoIter<String>> = Vec::new();
    // The first runs alone: on a fresh database it applies the migrations.
    let jobs: Vec<(usize, usize)> = per_project.iter().copied().enumerate().collect();
    let (first, rest) = jobs.split_at(1.min(jobs.len()));
    for chunk in std::iter::once(first).chain(rest.chunks(4)) {
        let results: Vec<Result<Vec<String>, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&(p, n)| {
                    let project = &projects[p];
                    s.spawn(move || mint_tokens(args, data_dir, project, n).map_err(|e| e.to_string()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("token thread panicked".into()))).collect()
        });
        for r in results {
            minted.push(r?.into_iter());
        }
    }
    for i in 0..args.phones {
        tokens.push(minted[i % projects.len()].next().ok_or("ran out of tokens")?);
    }
    Ok(tokens)
}

async fn run(args: Args) -> Result<bool, Error> {
    let ticks = procfs::clock_ticks();
    let concurrency = args.concurrency.clamp(1, args.phones.max(1));
    let projects_n = args.projects.clamp(1, args.phones.max(1));
    let run = format!("{:x}", now_ms());
    let projects: Vec<String> = (0..projects_n).map(|p| format!("loadgen-{run}-p{p:04}")).collect();
    let backend = match (args.floor, &args.database_url) {
        (true, _) => "floor",
        (false, Some(_)) => "postgres",
        (false, None) => "sqlite",
    };
    let say = |s: String| eprintln!("{s}");

    // The server's data folder: given, or a temporary one for a spawned server.
    let temp = tempfile::tempdir()?;
    let data_dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    if args.server.is_some() && args.data_dir.is_none() && args.database_url.is_none() {
        return Err("with --server, give the server's --data-dir or --database-url so tokens can be minted".into());
    }

    let t = Instant::now();
    let tokens = if args.floor {
        (0..args.phones).map(|i| floor::token(i, &projects[i % projects_n])).collect()
    } else {
        mint_all(&args, &data_dir, &projects)?
    };
    say(format!("minted {} tokens over {projects_n} projects in {:.1}s", tokens.len(), t.elapsed().as_secs_f64()));

    let (spawned, host, server_pid) = if args.spawn {
        let (s, addr) = spawn_server(&args, &data_dir)?;
        let pid = s.child.id();
        (Some(s), addr, Some(pid))
    } else {
        let url = args.server.clone().unwrap_or_default();
        let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
        (None, host, args.server_pid)
    };
    say(format!("server http://{host} ({backend}){}", server_pid.map(|p| format!(", pid {p}")).unwrap_or_default()));

    let counters = Arc::new(WireCounters::default());
    let phones: Vec<Phone> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let mut p = Phone::new(i, token, projects[i % projects_n].clone(), &run, args.lines);
            p.reset = true; // a phone that never synced
            p
        })
        .collect();

    // Setup: every phone uploads its sheet, then one more pass so each holds its peers' sheets.
    let t = Instant::now();
    let (phones, setup) = phase(phones, Mode::Once, concurrency, &host, &counters, false).await?;
    let (phones, catchup) = phase(phones, Mode::Once, concurrency, &host, &counters, false).await?;
    let (f1, e1, first1) = failures(&setup);
    let (f2, e2, first2) = failures(&catchup);
    say(format!("setup: {} phones uploaded their sheets in {:.1}s", phones.len(), t.elapsed().as_secs_f64()));
    if f1 + f2 > 0 || e1 + e2 > 0 {
        return Err(format!("setup failed: {}", first1.or(first2).unwrap_or_default()).into());
    }

    // Warmup, then the measured phase.
    let warm_deadline = Instant::now() + Duration::from_secs_f64(args.warmup);
    let (phones, warm) = phase(
        phones,
        Mode::Edits { start: Instant::now(), deadline: warm_deadline, limit: None, rate: args.rate },
        concurrency,
        &host,
        &counters,
        true,
    )
    .await?;
    let warm_syncs = warm.syncs.len() as u64;
    let with_pg = args.database_url.is_some();
    let before = procfs::Snapshot::take(server_pid, with_pg);
    let (wire_up0, wire_down0) = (counters.up.load(Ordering::Relaxed), counters.down.load(Ordering::Relaxed));
    let t = Instant::now();
    let mode = Mode::Edits {
        start: t,
        deadline: t + Duration::from_secs_f64(args.duration),
        limit: args.syncs,
        rate: args.rate,
    };
    let (phones, measured) = phase(phones, mode, concurrency, &host, &counters, true).await?;
    let elapsed = t.elapsed().as_secs_f64();
    let after = procfs::Snapshot::take(server_pid, with_pg);
    let wire_up = counters.up.load(Ordering::Relaxed) - wire_up0;
    let wire_down = counters.down.load(Ordering::Relaxed) - wire_down0;

    let verify = if args.verify {
        let (_, v) = phase(phones, Mode::Verify, concurrency, &host, &counters, false).await?;
        Some(v)
    } else {
        None
    };
    drop(spawned);

    // Figures.
    let syncs = measured.syncs.len() as u64;
    let n = syncs.max(1) as f64;
    let (failed, doc_errors, first_failure) = failures(&measured);
    let requests: u64 = measured.syncs.iter().map(|s| u64::from(s.requests)).sum();
    let mut lat: Vec<u64> = measured.syncs.iter().map(|s| s.micros).collect();
    lat.sort_unstable();
    let mut req_lat = measured.request_micros.clone();
    req_lat.sort_unstable();
    let mean = |f: &dyn Fn(&SyncRecord) -> u64| measured.syncs.iter().map(f).sum::<u64>() as f64 / n;
    let cpu_ms = |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| b.saturating_sub(a) as f64 * 1000.0 / ticks);
    let server_cpu = cpu_ms(before.server, after.server);
    let pg_cpu = cpu_ms(before.postgres, after.postgres);
    let loadgen_cpu = (after.loadgen - before.loadgen) as f64 * 1000.0 / ticks;
    let machine_busy =
        (after.machine_busy - before.machine_busy) as f64 / (after.machine_total - before.machine_total).max(1) as f64;
    let server_per_sync = server_cpu.map(|c| c / n);
    let pg_per_sync = pg_cpu.map(|c| c / n);

    let baseline =
        (!args.no_baseline && syncs > 0).then(|| automerge_baseline(&args, &projects, &run, warm_syncs, syncs));
    let ratio = server_per_sync.zip(baseline).map(|(s, (b, _, _))| s * 1000.0 / b.max(0.001));
    let ratio_with_pg =
        server_per_sync.zip(pg_per_sync).zip(baseline).map(|((s, p), (b, _, _))| (s + p) * 1000.0 / b.max(0.001));

    let report = json!({
        "backend": backend,
        "phones": args.phones,
        "projects": projects_n,
        "concurrency": concurrency,
        "target_rate": args.rate,
        "lines_per_sheet": args.lines,
        "seconds": elapsed,
        "syncs": syncs,
        "requests": requests,
        "failed_syncs": failed,
        "doc_errors": doc_errors,
        "first_failure": first_failure,
        "syncs_per_s": syncs as f64 / elapsed,
        "requests_per_s": requests as f64 / elapsed,
        "requests_per_sync": requests as f64 / n,
        "docs_sent_per_sync": mean(&|s| u64::from(s.docs_sent)),
        "docs_received_per_sync": mean(&|s| u64::from(s.docs_received)),
        "sync_latency_ms": { "p50": percentile(&lat, 0.5), "p99": percentile(&lat, 0.99), "max": percentile(&lat, 1.0) },
        "request_latency_ms": { "p50": percentile(&req_lat, 0.5), "p99": percentile(&req_lat, 0.99), "max": percentile(&req_lat, 1.0) },
        "payload_bytes_per_sync": { "up": mean(&|s| s.payload_up), "down": mean(&|s| s.payload_down) },
        "wire_bytes_per_sync": { "up": wire_up as f64 / n, "down": wire_down as f64 / n },
        "server_cpu_ms_per_sync": server_per_sync,
        "server_cpu_cores": server_cpu.map(|c| c / 1000.0 / elapsed),
        "postgres_cpu_ms_per_sync": pg_per_sync,
        "loadgen_cpu_ms_per_sync": loadgen_cpu / n,
        "machine_busy_fraction": machine_busy,
        "automerge_us_per_sync": baseline.map(|b| b.0),
        "automerge_rounds_per_sync": baseline.map(|b| b.1),
        "automerge_load_us_per_doc": baseline.map(|b| b.2),
        "server_cpu_over_automerge": ratio,
        "server_and_postgres_cpu_over_automerge": ratio_with_pg,
        "verified": verify.as_ref().map(|v| v.verified),
        "verify_mismatches": verify.as_ref().map(|v| v.mismatched.len()),
    });

    let f = |v: Option<f64>, unit: &str| v.map(|v| format!("{v:.3} {unit}")).unwrap_or_else(|| "n/a".into());
    say(format!(
        "\n{backend}: {} phones over {projects_n} projects, {concurrency} in flight{}, {syncs} syncs in {elapsed:.1}s",
        args.phones,
        args.rate.map(|r| format!(", started at {r:.0}/s")).unwrap_or_default()
    ));
    say(format!("  syncs/s            {:>10.0}", syncs as f64 / elapsed));
    say(format!("  requests/s         {:>10.0}   ({:.2} per sync)", requests as f64 / elapsed, requests as f64 / n));
    say(format!(
        "  sync latency       p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    ));
    say(format!(
        "  request latency    p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&req_lat, 0.5),
        percentile(&req_lat, 0.99),
        percentile(&req_lat, 1.0)
    ));
    say(format!(
        "  bytes per sync     payload up {:.0} / down {:.0};  on the wire (HTTP) up {:.0} / down {:.0}",
        mean(&|s| s.payload_up),
        mean(&|s| s.payload_down),
        wire_up as f64 / n,
        wire_down as f64 / n
    ));
    say(format!(
        "  docs per sync      sent {:.2} / received {:.2}",
        mean(&|s| u64::from(s.docs_sent)),
        mean(&|s| u64::from(s.docs_received))
    ));
    say(format!(
        "  server CPU         {} per sync ({} cores busy){}",
        f(server_per_sync, "ms"),
        f(server_cpu.map(|c| c / 1000.0 / elapsed), ""),
        pg_per_sync.map(|p| format!("; postgres processes {p:.3} ms per sync")).unwrap_or_default()
    ));
    say(format!("  loadgen CPU        {:.3} ms per sync; machine {:.0}% busy", loadgen_cpu / n, machine_busy * 100.0));
    if let Some((b, r, load)) = baseline {
        say(format!("  automerge baseline {b:.1} us per sync (same merges in process, {r:.2} rounds per sync)"));
        say(format!("                     {load:.1} us to load one sheet from its saved bytes (not in the baseline)"));
    }
    say(format!(
        "  server CPU / automerge  {}{}",
        ratio.map(|r| format!("{r:.1}x")).unwrap_or_else(|| {
            if server_per_sync.is_none() { "n/a (no server PID)" } else { "n/a (no baseline)" }.into()
        }),
        ratio_with_pg.map(|r| format!("   (incl. postgres: {r:.1}x)")).unwrap_or_default()
    ));
    say(format!("  failed syncs {failed}, document errors {doc_errors}"));
    if let Some(f) = &first_failure {
        say(format!("  first failure: {f}"));
    }
    if let Some(v) = &verify {
        say(format!("  verify: {} sheets read back equal, {} mismatched", v.verified, v.mismatched.len()));
        for m in v.mismatched.iter().take(5) {
            say(format!("    {m}"));
        }
    }
    if args.json {
        println!("{report}");
    }
    let ok = failed == 0 && doc_errors == 0 && verify.as_ref().is_none_or(|v| v.mismatched.is_empty());
    Ok(ok)
}
