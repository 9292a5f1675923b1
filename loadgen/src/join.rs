//! The join scenario (`--join`, issue 25): what a brand-new phone costs on a project with history,
//! and what an idle sync costs the server on a small and on a big project, in one run.
//!
//! Two projects are seeded through the sync itself (a device per project uploads `--idle-docs` and
//! `--join-docs` labour sheets of 12–28 crew lines, `--join-foremen` foremen's working days spread
//! over `--join-days` days ending today, in batches of `SEED_BATCH`). Then, on each project, a
//! phone with a freshly minted token and nothing stored (a `Phone` driven by the real client's
//! `SyncDriver`, documents in memory) does its first sync until settled: wall time, rounds, bytes
//! and documents, the server's CPU and this process's (the phone's side: merging what arrives).
//! Then that phone, having seen everything, does `--idle-syncs` idle syncs on each project, the two
//! projects alternating in blocks: the server's CPU per idle sync and the latency on 1,000 and on
//! 20,000 documents.
//!
//! The seeded sheets were never approved (approving 20,000 records over HTTP would take longer
//! than the rest of the run): a scope that keeps every unapproved record would still send them all.
//!
//! With `--scoped` (sync scopes, docs/sync-scopes.md), a third phone, applying scopes (it sends
//! `scope_fp`), joins the big project after the unscoped one and idles there too. Its token has no
//! person (every site) and a foreman's role (open records only its own), and it owns none of the
//! seeded sheets, so its scope is the project's default window (14 days): of sheets spread over
//! `--join-days` days, about 14 / 730 ≈ 2% (`within_14_days` in the seed's report).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use automerge::AutoCommit;
use chrono::{Days, NaiveDate, Utc};
use record_schema::now_ms;
use serde_json::{Value, json};

use crate::Error;
use crate::args::Args;
use crate::http::{Conn, WireCounters};
use crate::phone::{Phone, sheet};
use crate::procfs::{self, Snapshot};
use crate::server::{host_of, mint_tokens, spawn_replicas};
use crate::workers::{encoded_request, sync_phone, sync_phone_probed};

/// Documents the seeding device adds before each of its syncs.
const SEED_BATCH: usize = 500;

/// Sheet `k` of `n` of a seeded project: foreman `k mod foremen`, its day spread evenly over
/// `days` days ending today, 12–28 crew lines, one of three sites.
fn seeded_sheet(project: &str, run: &str, k: usize, n: usize, foremen: usize, days: usize) -> AutoCommit {
    let id = format!("join-{run}-{project}-{k:06}");
    let lines = 12 + (k * 7) % 17;
    let mut s = sheet(&id, project, k, lines);
    s.work_date = seeded_date(k, n, days);
    let at = s.work_date.and_hms_opt(9, 30, 0).map_or(0, |t| t.and_utc().timestamp_millis()).min(now_ms());
    s.header.author = format!("foreman {:02}", k % foremen.max(1) + 1);
    s.header.site_id = format!("S{}", k % 3 + 1);
    s.header.created_at_ms = at;
    let mut doc = AutoCommit::new();
    s.write(&mut doc).expect("a valid labour sheet");
    doc
}

/// The work date of seeded sheet `k` of `n`: spread evenly over `days` days ending today.
fn seeded_date(k: usize, n: usize, days: usize) -> NaiveDate {
    let today = Utc::now().date_naive();
    let back = (days.max(1) - 1).saturating_sub(k * days.max(1) / n.max(1));
    today.checked_sub_days(Days::new(back as u64)).unwrap_or(today)
}

/// Seeds `project` with `n` sheets through one device's syncs, `SEED_BATCH` new ones per sync;
/// returns what it took (documents, seconds, syncs, requests).
async fn seed(conn: &mut Conn, args: &Args, run: &str, project: &str, n: usize, token: String) -> Result<Value, Error> {
    let t = Instant::now();
    let mut phone = Phone::empty(0, token, project.to_string(), String::new());
    let (mut syncs, mut requests) = (0u64, 0u64);
    let mut k = 0;
    while k < n {
        let end = (k + SEED_BATCH).min(n);
        for j in k..end {
            let doc = seeded_sheet(project, run, j, n, args.join_foremen, args.join_days);
            phone.docs.insert(format!("join-{run}-{project}-{j:06}"), doc);
        }
        k = end;
        let mut request_micros = Vec::new();
        let rec = sync_phone(conn, &mut phone, Instant::now(), &mut request_micros).await;
        syncs += 1;
        requests += u64::from(rec.requests);
        if let Some(f) = rec.failure {
            return Err(format!("seeding {project}: {f}").into());
        }
    }
    let seconds = t.elapsed().as_secs_f64();
    // What a scope of the default window (the last 14 days, today included) holds of it.
    let since = Utc::now().date_naive().checked_sub_days(Days::new(13));
    let recent = (0..n).filter(|&k| since.is_none_or(|d| seeded_date(k, n, args.join_days) >= d)).count();
    eprintln!(
        "seeded {project}: {n} sheets in {seconds:.1}s ({syncs} syncs, {requests} requests), {recent} of the last 14 days"
    );
    Ok(json!({ "documents": n, "seconds": seconds, "syncs": syncs, "requests": requests, "within_14_days": recent }))
}

/// CPU milliseconds of the server processes (summed) and of this process between two snapshots.
fn cpu(before: &Snapshot, after: &Snapshot, ticks: f64) -> (Option<f64>, f64) {
    let per = procfs::server_ms(before, after, ticks);
    let server = (!per.is_empty() && per.iter().all(Option::is_some)).then(|| per.iter().flatten().sum());
    (server, after.loadgen.saturating_sub(before.loadgen) as f64 * 1000.0 / ticks)
}

struct Ctx<'a> {
    pids: &'a [u32],
    with_pg: bool,
    ticks: f64,
    counters: Arc<WireCounters>,
}

/// Waits (at most `QUIET_WAIT_S` seconds) for a second in which the server processes spend under
/// 3% of a core: after seeding, the server's background tasks (webhook record events, the record
/// index) work through the new documents, and that is not the join's or an idle sync's cost.
/// Returns the cores busy in the last second watched.
async fn quiet(ctx: &Ctx<'_>) -> Option<f64> {
    const QUIET_WAIT_S: u32 = 90;
    let mut last = None;
    for _ in 0..QUIET_WAIT_S {
        let before = Snapshot::take(ctx.pids, false);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let after = Snapshot::take(ctx.pids, false);
        last = cpu(&before, &after, ctx.ticks).0.map(|ms| ms / 1000.0);
        if last.is_none_or(|c| c < 0.03) {
            break;
        }
    }
    last
}

/// A new phone's first sync on `project`, until settled; `scoped`: the phone applies sync scopes.
async fn join(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    project: &str,
    token: String,
    seeded: usize,
    scoped: bool,
) -> (Phone, Value) {
    let mut phone = Phone::empty(1, token, project.to_string(), String::new()).scoped(scoped);
    let wire0 = (ctx.counters.up.load(Ordering::Relaxed), ctx.counters.down.load(Ordering::Relaxed));
    let before = Snapshot::take(ctx.pids, ctx.with_pg);
    let mut request_micros = Vec::new();
    let t = Instant::now();
    let rec = sync_phone(conn, &mut phone, t, &mut request_micros).await;
    let seconds = t.elapsed().as_secs_f64();
    let after = Snapshot::take(ctx.pids, ctx.with_pg);
    let (server_ms, phone_ms) = cpu(&before, &after, ctx.ticks);
    let wire_up = ctx.counters.up.load(Ordering::Relaxed) - wire0.0;
    let wire_down = ctx.counters.down.load(Ordering::Relaxed) - wire0.1;
    // What the phone would keep: each document saved, and its sync state.
    let stored: usize = phone.docs.values_mut().map(|d| d.save().len()).sum::<usize>()
        + phone.states.values().map(|s| s.encode().len()).sum::<usize>();
    let r = json!({
        "project_documents": seeded,
        "scoped": scoped,
        // The server answered as one that applies scopes (`as_of` or `scope` in a response).
        "scope_answered": rec.scope_answered,
        "seconds": seconds,
        "rounds": rec.requests,
        "documents_received": rec.docs_received,
        "documents_held": phone.docs.len(),
        "payload_bytes": { "up": rec.payload_up, "down": rec.payload_down },
        "wire_bytes": { "up": wire_up, "down": wire_down },
        "stored_bytes": stored,
        "server_cpu_ms": server_ms,
        "phone_cpu_ms": phone_ms,
        "machine_busy_fraction": (after.machine_busy.saturating_sub(before.machine_busy)) as f64
            / after.machine_total.saturating_sub(before.machine_total).max(1) as f64,
        "failure": rec.failure,
    });
    eprintln!(
        "join {project}{} ({seeded} documents): {seconds:.2}s to settled, {} rounds, {} documents held, \
         {:.0} KB down / {:.0} KB up (payload), server CPU {}, phone side {phone_ms:.0} ms, stored {:.1} MB{}",
        match (scoped, rec.scope_answered) {
            (false, _) => "",
            (true, true) => ", scoped",
            (true, false) => ", scoped phone (the server applied no scope)",
        },
        rec.requests,
        phone.docs.len(),
        rec.payload_down as f64 / 1024.0,
        rec.payload_up as f64 / 1024.0,
        server_ms.map(|c| format!("{c:.0} ms")).unwrap_or("n/a".into()),
        stored as f64 / 1048576.0,
        rec.failure.as_ref().map(|f| format!("; FAILED: {f}")).unwrap_or_default()
    );
    (phone, r)
}

/// What `count` idle syncs of `phone` cost (added to `acc`).
#[derive(Default)]
struct Idle {
    syncs: u64,
    requests: u64,
    failures: u64,
    first_failure: Option<String>,
    server_ms: Option<f64>,
    /// The server's CPU by the scheduler's count (`procfs::process_ns`), nanoseconds.
    server_ns: Option<u64>,
    /// The same count only while the syncs' requests were in flight.
    in_requests_ns: Option<u64>,
    /// The machine's busy and total CPU ticks over the blocks.
    machine: (u64, u64),
    /// Each block's start and end, seconds since boot (`procfs::boottime_s`).
    marks: Vec<(f64, f64)>,
    payload_up: u64,
    payload_down: u64,
    sync_micros: Vec<u64>,
    request_micros: Vec<u64>,
}

async fn idle_block(conn: &mut Conn, ctx: &Ctx<'_>, phone: &mut Phone, count: usize, acc: &mut Idle) {
    let first = acc.syncs == 0;
    let mark0 = procfs::boottime_s();
    let ns0 = ctx.pids.first().and_then(|&p| procfs::process_ns(p));
    let before = Snapshot::take(ctx.pids, ctx.with_pg);
    for _ in 0..count {
        let probe = ctx.pids.first().copied();
        let rec = sync_phone_probed(conn, phone, Instant::now(), &mut acc.request_micros, probe).await;
        acc.in_requests_ns = match (acc.in_requests_ns, rec.server_ns_in_requests) {
            (Some(a), Some(b)) => Some(a + b),
            (None, b) if acc.syncs == 0 => b,
            _ => None,
        };
        acc.syncs += 1;
        acc.requests += u64::from(rec.requests);
        acc.payload_up += rec.payload_up;
        acc.payload_down += rec.payload_down;
        acc.sync_micros.push(rec.micros);
        if let Some(f) = rec.failure {
            acc.failures += 1;
            acc.first_failure.get_or_insert(f);
        }
    }
    let after = Snapshot::take(ctx.pids, ctx.with_pg);
    let ns1 = ctx.pids.first().and_then(|&p| procfs::process_ns(p));
    if let (Some(a), Some(b)) = (mark0, procfs::boottime_s()) {
        acc.marks.push((a, b));
    }
    let block_ns = ns0.zip(ns1).map(|(a, b)| b.saturating_sub(a));
    acc.server_ns = match (acc.server_ns, block_ns) {
        (Some(a), Some(b)) => Some(a + b),
        (None, b) if first => b,
        _ => None,
    };
    acc.machine.0 += after.machine_busy.saturating_sub(before.machine_busy);
    acc.machine.1 += after.machine_total.saturating_sub(before.machine_total);
    let (server, _) = cpu(&before, &after, ctx.ticks);
    acc.server_ms = match (acc.server_ms, server) {
        (Some(a), Some(b)) => Some(a + b),
        (None, b) if acc.syncs == count as u64 => b,
        _ => None,
    };
}

fn percentile(v: &mut [u64], p: f64) -> f64 {
    v.sort_unstable();
    if v.is_empty() {
        return 0.0;
    }
    v[(((v.len() - 1) as f64) * p).round() as usize] as f64 / 1000.0
}

fn idle_report(name: &str, documents: usize, i: &mut Idle) -> Value {
    let n = i.syncs.max(1) as f64;
    // The scheduler's count where there is one (exact); else utime + stime (10 ms ticks: ± a tick
    // a block, a large share of a block of sub-millisecond syncs).
    let per_ticks = i.server_ms.map(|c| c / n);
    let per = i.server_ns.map(|ns| ns as f64 / 1e6 / n).or(per_ticks);
    let busy = i.machine.0 as f64 / i.machine.1.max(1) as f64;
    let r = json!({
        "project_documents": documents,
        "syncs": i.syncs,
        "requests_per_sync": i.requests as f64 / n,
        "server_cpu_ms_per_sync": per,
        "server_cpu_ms_per_sync_ticks": per_ticks,
        // Only while its requests were in flight: without the server's background work during the
        // phone's own side of each sync (200 ms on 20,000 documents against 3 ms on 1,000, so a
        // block on the big project lasts far longer and collects far more of it).
        "server_cpu_ms_in_requests_per_sync": i.in_requests_ns.map(|ns| ns as f64 / 1e6 / n),
        "machine_busy_fraction": busy,
        // For `perf record -k boottime` on the server: when each block ran.
        "blocks_boottime_s": i.marks,
        "sync_latency_ms": { "p50": percentile(&mut i.sync_micros, 0.5), "p99": percentile(&mut i.sync_micros, 0.99) },
        "request_latency_ms": { "p50": percentile(&mut i.request_micros, 0.5), "p99": percentile(&mut i.request_micros, 0.99) },
        "payload_bytes_per_sync": { "up": i.payload_up as f64 / n, "down": i.payload_down as f64 / n },
        "failed_syncs": i.failures,
        "first_failure": i.first_failure,
    });
    eprintln!(
        "idle syncs on {name} ({documents} documents): {} syncs, {:.2} requests each, server CPU {} per sync \
         ({} by ticks, {} while its requests were in flight), request p50 {:.2} ms p99 {:.2} ms, whole sync (with the phone's side) p50 {:.2} ms, \
         {:.0} B up / {:.0} B down, machine {:.0}% busy",
        i.syncs,
        i.requests as f64 / n,
        per.map(|c| format!("{c:.3} ms")).unwrap_or("n/a".into()),
        per_ticks.map(|c| format!("{c:.3} ms")).unwrap_or("n/a".into()),
        i.in_requests_ns.map(|ns| format!("{:.3} ms", ns as f64 / 1e6 / n)).unwrap_or("n/a".into()),
        r["request_latency_ms"]["p50"].as_f64().unwrap_or(0.0),
        r["request_latency_ms"]["p99"].as_f64().unwrap_or(0.0),
        r["sync_latency_ms"]["p50"].as_f64().unwrap_or(0.0),
        i.payload_up as f64 / n,
        i.payload_down as f64 / n,
        busy * 100.0,
    );
    r
}

/// Idle requests replayed: one phone's idle request sent again and again, nothing done between.
#[derive(Default)]
struct Replay {
    requests: u64,
    failures: u64,
    server_ns: Option<u64>,
    machine: (u64, u64),
    micros: Vec<u64>,
    marks: Vec<(f64, f64)>,
}

/// `count` replayed requests, `pause` between them (the server idle meanwhile, as between a
/// phone's syncs).
async fn replay_block(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    (token, body): (&str, &[u8]),
    count: usize,
    pause: std::time::Duration,
    acc: &mut Replay,
) {
    let first = acc.requests == 0;
    let mark0 = procfs::boottime_s();
    let ns0 = ctx.pids.first().and_then(|&p| procfs::process_ns(p));
    let before = Snapshot::take(ctx.pids, false);
    for _ in 0..count {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let t = Instant::now();
        match conn.post("/v1/sync", token, body.to_vec()).await {
            Ok((200, _)) => acc.micros.push(t.elapsed().as_micros() as u64),
            _ => acc.failures += 1,
        }
        acc.requests += 1;
    }
    let after = Snapshot::take(ctx.pids, false);
    let ns1 = ctx.pids.first().and_then(|&p| procfs::process_ns(p));
    if let (Some(a), Some(b)) = (mark0, procfs::boottime_s()) {
        acc.marks.push((a, b));
    }
    let block = ns0.zip(ns1).map(|(a, b)| b.saturating_sub(a));
    acc.server_ns = match (acc.server_ns, block) {
        (Some(a), Some(b)) => Some(a + b),
        (None, b) if first => b,
        _ => None,
    };
    acc.machine.0 += after.machine_busy.saturating_sub(before.machine_busy);
    acc.machine.1 += after.machine_total.saturating_sub(before.machine_total);
}

fn replay_report(name: &str, documents: usize, r: &mut Replay) -> Value {
    let n = r.requests.max(1) as f64;
    let per = r.server_ns.map(|ns| ns as f64 / 1e6 / n);
    let busy = r.machine.0 as f64 / r.machine.1.max(1) as f64;
    let (p50, p99) = (percentile(&mut r.micros, 0.5), percentile(&mut r.micros, 0.99));
    eprintln!(
        "replayed idle requests on {name} ({documents} documents): {} requests, server CPU {} per request, \
         p50 {p50:.2} ms p99 {p99:.2} ms, {} failed, machine {:.0}% busy",
        r.requests,
        per.map(|c| format!("{c:.3} ms")).unwrap_or("n/a".into()),
        r.failures,
        busy * 100.0
    );
    json!({
        "project_documents": documents,
        "requests": r.requests,
        "failed": r.failures,
        "server_cpu_ms_per_request": per,
        "request_latency_ms": { "p50": p50, "p99": p99 },
        "machine_busy_fraction": busy,
        "blocks_boottime_s": r.marks,
    })
}

/// `--join`: seeds, joins and idles (see the module's comment); true when nothing failed.
pub async fn run(args: &Args, data_dir: &Path) -> Result<bool, Error> {
    let ticks = procfs::clock_ticks();
    let run = format!("{:x}", now_ms());
    let small = format!("loadgen-{run}-small");
    let big = format!("loadgen-{run}-big");
    // Two devices a project: the one that seeds it and the one that joins (`--scoped`: and a
    // scoped one that joins the big project).
    let t = Instant::now();
    let small_tokens = mint_tokens(args, data_dir, &small, 2)?;
    let mut big_tokens = mint_tokens(args, data_dir, &big, 2 + usize::from(args.scoped))?;
    let big_scoped_joiner = if args.scoped { big_tokens.pop() } else { None };
    eprintln!("minted {} tokens in {:.1}s", 4 + usize::from(args.scoped), t.elapsed().as_secs_f64());
    let (spawned, hosts, pids) = if args.spawn {
        let (s, hosts) = spawn_replicas(args, data_dir)?;
        let pids: Vec<u32> = s.iter().map(|s| s.child.id()).collect();
        (s, hosts, pids)
    } else {
        (Vec::new(), args.server.iter().map(|u| host_of(u)).collect(), args.server_pid.clone())
    };
    // One server is enough to measure a join; with several, the first.
    let host = hosts.first().ok_or("no server")?.clone();
    let pids = &pids[..pids.len().min(1)];
    eprintln!("server http://{host}");
    let counters = Arc::new(WireCounters::default());
    let mut conn = Conn::new(host, counters.clone());
    let ctx = Ctx { pids, with_pg: args.database_url.is_some(), ticks, counters };

    let [small_seeder, small_joiner] = <[String; 2]>::try_from(small_tokens).map_err(|_| "two tokens")?;
    let [big_seeder, big_joiner] = <[String; 2]>::try_from(big_tokens).map_err(|_| "two tokens")?;
    let seed_small = seed(&mut conn, args, &run, &small, args.idle_docs, small_seeder).await?;
    let seed_big = seed(&mut conn, args, &run, &big, args.join_docs, big_seeder).await?;

    let background = quiet(&ctx).await;
    eprintln!("server quiet before the joins: {} cores busy", background.map_or("n/a".into(), |c| format!("{c:.2}")));
    let (mut small_phone, join_small) = join(&mut conn, &ctx, &small, small_joiner, args.idle_docs, false).await;
    let (mut big_phone, join_big) = join(&mut conn, &ctx, &big, big_joiner, args.join_docs, false).await;
    let mut scoped = None;
    if let Some(token) = big_scoped_joiner {
        // (The unscoped join's answers leave the server busy a moment: not the scoped join's cost.)
        quiet(&ctx).await;
        scoped = Some(join(&mut conn, &ctx, &big, token, args.join_docs, true).await);
    }

    let background_idle = quiet(&ctx).await;
    // Idle syncs in alternating blocks, so a drift in the machine's load touches both alike. A
    // phone whose join failed holds nothing: its syncs would be joins again, not idle ones.
    let (small_joined, big_joined) = (join_small["failure"].is_null(), join_big["failure"].is_null());
    let (mut idle_small, mut idle_big, mut idle_scoped) = (Idle::default(), Idle::default(), Idle::default());
    let blocks = 4usize;
    for b in 0..blocks {
        let count = args.idle_syncs / blocks + usize::from(b < args.idle_syncs % blocks);
        if small_joined {
            idle_block(&mut conn, &ctx, &mut small_phone, count, &mut idle_small).await;
        }
        if big_joined {
            idle_block(&mut conn, &ctx, &mut big_phone, count, &mut idle_big).await;
        }
        if let Some((phone, r)) = &mut scoped
            && r["failure"].is_null()
        {
            idle_block(&mut conn, &ctx, phone, count, &mut idle_scoped).await;
        }
    }
    // The same idle requests again, back to back (the phones' own side skipped): what the server
    // spends on one, on a block of equal length on both projects.
    // Then paced, PACE apart, as a phone's idle syncs are (a quarter as many).
    const PACE: std::time::Duration = std::time::Duration::from_millis(100);
    let (mut replay_small, mut replay_big) = (Replay::default(), Replay::default());
    let (mut paced_small, mut paced_big) = (Replay::default(), Replay::default());
    let bodies = if small_joined && big_joined {
        encoded_request(&mut small_phone).zip(encoded_request(&mut big_phone))
    } else {
        None
    };
    if let Some((small_body, big_body)) = &bodies {
        for b in 0..blocks {
            let count = args.idle_syncs / blocks + usize::from(b < args.idle_syncs % blocks);
            let zero = std::time::Duration::ZERO;
            replay_block(&mut conn, &ctx, (&small_phone.token, small_body), count, zero, &mut replay_small).await;
            replay_block(&mut conn, &ctx, (&big_phone.token, big_body), count, zero, &mut replay_big).await;
        }
        for _ in 0..blocks {
            let count = (args.idle_syncs / blocks / 4).max(1);
            replay_block(&mut conn, &ctx, (&small_phone.token, small_body), count, PACE, &mut paced_small).await;
            replay_block(&mut conn, &ctx, (&big_phone.token, big_body), count, PACE, &mut paced_big).await;
        }
    }
    drop(spawned);
    let replayed = bodies.map(|_| {
        let small = replay_report("the small project", args.idle_docs, &mut replay_small);
        let big = replay_report("the big project", args.join_docs, &mut replay_big);
        let ratio = big["server_cpu_ms_per_request"]
            .as_f64()
            .zip(small["server_cpu_ms_per_request"].as_f64())
            .map(|(b, s)| b / s.max(1e-9));
        if let Some(r) = ratio {
            eprintln!("server CPU of a replayed idle request, big over small project: {r:.2}x");
        }
        let paced_s = replay_report("the small project, 100 ms apart", args.idle_docs, &mut paced_small);
        let paced_b = replay_report("the big project, 100 ms apart", args.join_docs, &mut paced_big);
        json!({ "small": small, "big": big, "server_cpu_big_over_small": ratio,
                "paced_100ms": { "small": paced_s, "big": paced_b } })
    });
    let idle_small_r = idle_report("the small project", args.idle_docs, &mut idle_small);
    let idle_big_r = idle_report("the big project", args.join_docs, &mut idle_big);
    let ratio = idle_big_r["server_cpu_ms_per_sync"]
        .as_f64()
        .zip(idle_small_r["server_cpu_ms_per_sync"].as_f64())
        .map(|(b, s)| b / s.max(1e-9));
    let ratio_in = idle_big_r["server_cpu_ms_in_requests_per_sync"]
        .as_f64()
        .zip(idle_small_r["server_cpu_ms_in_requests_per_sync"].as_f64())
        .map(|(b, s)| b / s.max(1e-9));
    if let Some(r) = ratio {
        eprintln!(
            "server CPU of an idle sync, big over small project: {r:.2}x ({} while requests were in flight)",
            ratio_in.map_or("n/a".into(), |r| format!("{r:.2}x"))
        );
    }
    let (join_scoped, idle_scoped_r, scoped_vs) = match &scoped {
        Some((_, j)) => {
            let idle = idle_report("the big project, scoped phone", args.join_docs, &mut idle_scoped);
            let over = |k: &str| j[k].as_f64().zip(join_big[k].as_f64()).map(|(s, u)| s / u.max(1e-9));
            let down = |r: &Value| r["payload_bytes"]["down"].as_f64();
            let vs = json!({
                "seconds": over("seconds"),
                "payload_down": down(j).zip(down(&join_big)).map(|(s, u)| s / u.max(1.0)),
                "documents_held": j["documents_held"].as_f64().zip(join_big["documents_held"].as_f64()).map(|(s, u)| s / u.max(1.0)),
            });
            eprintln!(
                "scoped join over unscoped join on the big project: wall time {}, bytes down {}, documents {}",
                vs["seconds"].as_f64().map_or("n/a".into(), |r| format!("{r:.3}x")),
                vs["payload_down"].as_f64().map_or("n/a".into(), |r| format!("{r:.3}x")),
                vs["documents_held"].as_f64().map_or("n/a".into(), |r| format!("{r:.3}x")),
            );
            (j.clone(), idle, vs)
        }
        None => (Value::Null, Value::Null, Value::Null),
    };
    let scoped_ok = scoped.as_ref().is_none_or(|(_, j)| j["failure"].is_null()) && idle_scoped.failures == 0;
    let replay_ok = [&replay_small, &replay_big, &paced_small, &paced_big].iter().all(|r| r.failures == 0);
    let ok = small_joined && big_joined && idle_small.failures == 0 && idle_big.failures == 0 && scoped_ok && replay_ok;
    let report = json!({
        "scenario": "join",
        "backend": if args.database_url.is_some() { "postgres" } else { "sqlite" },
        "foremen": args.join_foremen,
        "days": args.join_days,
        "seed": { "small": seed_small, "big": seed_big },
        // The server's background CPU (cores) in the second before the joins and the idle syncs.
        "server_background_cores": { "before_join": background, "before_idle": background_idle },
        "join": { "small": join_small, "big": join_big, "big_scoped": join_scoped, "scoped_over_unscoped": scoped_vs },
        "idle": { "small": idle_small_r, "big": idle_big_r, "big_scoped": idle_scoped_r, "server_cpu_big_over_small": ratio,
                  "server_cpu_in_requests_big_over_small": ratio_in },
        "idle_replayed": replayed,
    });
    if args.json {
        println!("{report}");
    }
    Ok(ok)
}
