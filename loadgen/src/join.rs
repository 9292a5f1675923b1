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

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use automerge::AutoCommit;
use chrono::{Days, Utc};
use record_schema::now_ms;
use serde_json::{Value, json};

use crate::Error;
use crate::args::Args;
use crate::http::{Conn, WireCounters};
use crate::phone::{Phone, sheet};
use crate::procfs::{self, Snapshot};
use crate::server::{host_of, mint_tokens, spawn_replicas};
use crate::workers::sync_phone;

/// Documents the seeding device adds before each of its syncs.
const SEED_BATCH: usize = 500;

/// Sheet `k` of `n` of a seeded project: foreman `k mod foremen`, its day spread evenly over
/// `days` days ending today, 12–28 crew lines, one of three sites.
fn seeded_sheet(project: &str, run: &str, k: usize, n: usize, foremen: usize, days: usize) -> AutoCommit {
    let id = format!("join-{run}-{project}-{k:06}");
    let lines = 12 + (k * 7) % 17;
    let mut s = sheet(&id, project, k, lines);
    let today = Utc::now().date_naive();
    let back = (days.max(1) - 1).saturating_sub(k * days.max(1) / n.max(1));
    s.work_date = today.checked_sub_days(Days::new(back as u64)).unwrap_or(today);
    let at = s.work_date.and_hms_opt(9, 30, 0).map_or(0, |t| t.and_utc().timestamp_millis()).min(now_ms());
    s.header.author = format!("foreman {:02}", k % foremen.max(1) + 1);
    s.header.site_id = format!("S{}", k % 3 + 1);
    s.header.created_at_ms = at;
    let mut doc = AutoCommit::new();
    s.write(&mut doc).expect("a valid labour sheet");
    doc
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
    eprintln!("seeded {project}: {n} sheets in {seconds:.1}s ({syncs} syncs, {requests} requests)");
    Ok(json!({ "documents": n, "seconds": seconds, "syncs": syncs, "requests": requests }))
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

/// A new phone's first sync on `project`, until settled.
async fn join(conn: &mut Conn, ctx: &Ctx<'_>, project: &str, token: String, seeded: usize) -> (Phone, Value) {
    let mut phone = Phone::empty(1, token, project.to_string(), String::new());
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
        "seconds": seconds,
        "rounds": rec.requests,
        "documents_received": rec.docs_received,
        "documents_held": phone.docs.len(),
        "payload_bytes": { "up": rec.payload_up, "down": rec.payload_down },
        "wire_bytes": { "up": wire_up, "down": wire_down },
        "stored_bytes": stored,
        "server_cpu_ms": server_ms,
        "phone_cpu_ms": phone_ms,
        "failure": rec.failure,
    });
    eprintln!(
        "join {project} ({seeded} documents): {seconds:.2}s to settled, {} rounds, {} documents held, \
         {:.0} KB down / {:.0} KB up (payload), server CPU {}, phone side {phone_ms:.0} ms, stored {:.1} MB{}",
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
    payload_up: u64,
    payload_down: u64,
    sync_micros: Vec<u64>,
    request_micros: Vec<u64>,
}

async fn idle_block(conn: &mut Conn, ctx: &Ctx<'_>, phone: &mut Phone, count: usize, acc: &mut Idle) {
    let before = Snapshot::take(ctx.pids, ctx.with_pg);
    for _ in 0..count {
        let rec = sync_phone(conn, phone, Instant::now(), &mut acc.request_micros).await;
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
    let per = i.server_ms.map(|c| c / n);
    let r = json!({
        "project_documents": documents,
        "syncs": i.syncs,
        "requests_per_sync": i.requests as f64 / n,
        "server_cpu_ms_per_sync": per,
        "sync_latency_ms": { "p50": percentile(&mut i.sync_micros, 0.5), "p99": percentile(&mut i.sync_micros, 0.99) },
        "request_latency_ms": { "p50": percentile(&mut i.request_micros, 0.5), "p99": percentile(&mut i.request_micros, 0.99) },
        "payload_bytes_per_sync": { "up": i.payload_up as f64 / n, "down": i.payload_down as f64 / n },
        "failed_syncs": i.failures,
        "first_failure": i.first_failure,
    });
    eprintln!(
        "idle syncs on {name} ({documents} documents): {} syncs, {:.2} requests each, server CPU {} per sync, \
         request p50 {:.2} ms p99 {:.2} ms, whole sync (with the phone's side) p50 {:.2} ms, {:.0} B up / {:.0} B down",
        i.syncs,
        i.requests as f64 / n,
        per.map(|c| format!("{c:.3} ms")).unwrap_or("n/a".into()),
        r["request_latency_ms"]["p50"].as_f64().unwrap_or(0.0),
        r["request_latency_ms"]["p99"].as_f64().unwrap_or(0.0),
        r["sync_latency_ms"]["p50"].as_f64().unwrap_or(0.0),
        i.payload_up as f64 / n,
        i.payload_down as f64 / n,
    );
    r
}

/// `--join`: seeds, joins and idles (see the module's comment); true when nothing failed.
pub async fn run(args: &Args, data_dir: &Path) -> Result<bool, Error> {
    let ticks = procfs::clock_ticks();
    let run = format!("{:x}", now_ms());
    let small = format!("loadgen-{run}-small");
    let big = format!("loadgen-{run}-big");
    // Two devices a project: the one that seeds it and the one that joins.
    let t = Instant::now();
    let small_tokens = mint_tokens(args, data_dir, &small, 2)?;
    let big_tokens = mint_tokens(args, data_dir, &big, 2)?;
    eprintln!("minted 4 tokens in {:.1}s", t.elapsed().as_secs_f64());
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
    let (mut small_phone, join_small) = join(&mut conn, &ctx, &small, small_joiner, args.idle_docs).await;
    let (mut big_phone, join_big) = join(&mut conn, &ctx, &big, big_joiner, args.join_docs).await;

    let background_idle = quiet(&ctx).await;
    // Idle syncs in alternating blocks, so a drift in the machine's load touches both alike. A
    // phone whose join failed holds nothing: its syncs would be joins again, not idle ones.
    let (small_joined, big_joined) = (join_small["failure"].is_null(), join_big["failure"].is_null());
    let (mut idle_small, mut idle_big) = (Idle::default(), Idle::default());
    let blocks = 4usize;
    for b in 0..blocks {
        let count = args.idle_syncs / blocks + usize::from(b < args.idle_syncs % blocks);
        if small_joined {
            idle_block(&mut conn, &ctx, &mut small_phone, count, &mut idle_small).await;
        }
        if big_joined {
            idle_block(&mut conn, &ctx, &mut big_phone, count, &mut idle_big).await;
        }
    }
    drop(spawned);
    let idle_small_r = idle_report("the small project", args.idle_docs, &mut idle_small);
    let idle_big_r = idle_report("the big project", args.join_docs, &mut idle_big);
    let ratio = idle_big_r["server_cpu_ms_per_sync"]
        .as_f64()
        .zip(idle_small_r["server_cpu_ms_per_sync"].as_f64())
        .map(|(b, s)| b / s.max(1e-9));
    if let Some(r) = ratio {
        eprintln!("server CPU of an idle sync, big over small project: {r:.2}x");
    }
    let ok = small_joined && big_joined && idle_small.failures == 0 && idle_big.failures == 0;
    let report = json!({
        "scenario": "join",
        "backend": if args.database_url.is_some() { "postgres" } else { "sqlite" },
        "foremen": args.join_foremen,
        "days": args.join_days,
        "seed": { "small": seed_small, "big": seed_big },
        // The server's background CPU (cores) in the second before the joins and the idle syncs.
        "server_background_cores": { "before_join": background, "before_idle": background_idle },
        "join": { "small": join_small, "big": join_big },
        "idle": { "small": idle_small_r, "big": idle_big_r, "server_cpu_big_over_small": ratio },
    });
    if args.json {
        println!("{report}");
    }
    Ok(ok)
}
