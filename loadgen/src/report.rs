//! The figures of a run: syncs/s, latency, bytes, server CPU per sync against Automerge's own cost
//! (`baseline.rs`), printed for people and, with `--json`, as one JSON object.

use serde_json::json;

use crate::args::Args;
use crate::baseline;
use crate::procfs::Snapshot;
use crate::workers::{SyncRecord, WorkerOut};

/// What a run measured, for the figures.
pub struct Measured {
    pub backend: &'static str,
    /// Server processes the phones were spread over.
    pub servers: usize,
    pub projects: Vec<String>,
    /// The run's id (phones' sheet ids), for the baseline's phones.
    pub run: String,
    pub concurrency: usize,
    pub warm_syncs: u64,
    pub elapsed: f64,
    pub measured: WorkerOut,
    pub verify: Option<WorkerOut>,
    pub before: Snapshot,
    pub after: Snapshot,
    /// Clock ticks per second of the CPU counters.
    pub ticks: f64,
    pub wire_up: u64,
    pub wire_down: u64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

pub fn failures(out: &WorkerOut) -> (usize, u64, Option<String>) {
    let failed = out.syncs.iter().filter(|s| s.failure.is_some() && s.doc_errors == 0).count();
    let doc_errors = out.syncs.iter().map(|s| u64::from(s.doc_errors)).sum();
    (failed, doc_errors, out.syncs.iter().find_map(|s| s.failure.clone()))
}

/// Prints the figures; returns whether the run was clean (no failed sync, no document error, every
/// sheet read back equal).
pub fn report(args: &Args, m: Measured) -> bool {
    let Measured {
        backend,
        servers,
        projects,
        run,
        concurrency,
        warm_syncs,
        elapsed,
        measured,
        verify,
        before,
        after,
        ticks,
        wire_up,
        wire_down,
    } = m;
    let projects_n = projects.len();
    let say = |s: String| eprintln!("{s}");
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
    // Every server process's CPU, and their sum (unknown if any one is).
    let per_server = crate::procfs::server_ms(&before, &after, ticks);
    let server_cpu = if per_server.is_empty() || per_server.iter().any(Option::is_none) {
        None
    } else {
        Some(per_server.iter().flatten().sum::<f64>())
    };
    let pg_cpu = cpu_ms(before.postgres, after.postgres);
    let loadgen_cpu = (after.loadgen - before.loadgen) as f64 * 1000.0 / ticks;
    let machine_busy =
        (after.machine_busy - before.machine_busy) as f64 / (after.machine_total - before.machine_total).max(1) as f64;
    let server_per_sync = server_cpu.map(|c| c / n);
    let pg_per_sync = pg_cpu.map(|c| c / n);

    let baseline = (!args.no_baseline && syncs > 0)
        .then(|| baseline::automerge_baseline(args, &projects, &run, warm_syncs, syncs));
    let ratio = server_per_sync.zip(baseline).map(|(s, (b, _, _))| s * 1000.0 / b.max(0.001));
    let ratio_with_pg =
        server_per_sync.zip(pg_per_sync).zip(baseline).map(|((s, p), (b, _, _))| (s + p) * 1000.0 / b.max(0.001));

    let report = json!({
        "backend": backend,
        "servers": servers,
        "phones": args.phones,
        "projects": projects_n,
        "concurrency": concurrency,
        "target_rate": args.rate,
        "lines_per_sheet": args.lines,
        // `--scoped`, and of the measured syncs those the server answered as scoped (`as_of` or `scope`).
        "scoped": args.scoped,
        "scope_answered_syncs": measured.syncs.iter().filter(|s| s.scope_answered).count(),
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
        "server_cpu_ms_per_sync_by_server": per_server.iter().map(|c| c.map(|c| c / n)).collect::<Vec<_>>(),
        "server_cpu_cores_by_server": per_server.iter().map(|c| c.map(|c| c / 1000.0 / elapsed)).collect::<Vec<_>>(),
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
        "\n{backend}{}: {} phones over {projects_n} projects, {concurrency} in flight{}, {syncs} syncs in {elapsed:.1}s",
        if servers > 1 { format!(" ({servers} servers)") } else { String::new() },
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
    if per_server.len() > 1 {
        let each: Vec<String> = per_server
            .iter()
            .map(|c| {
                c.map(|c| format!("{:.3} ms/sync, {:.2} cores", c / n, c / 1000.0 / elapsed)).unwrap_or("n/a".into())
            })
            .collect();
        say(format!("  by server          {}", each.join(";  ")));
    }
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
    failed == 0 && doc_errors == 0 && verify.as_ref().is_none_or(|v| v.mismatched.is_empty())
}
