//! `fieldledger-loadgen`: simulates N phones syncing labour sheets against a Fieldledger server
//! (`POST /v1/sync`) and reports syncs/s, requests/s, latency, bytes per sync, server CPU per sync,
//! and the ratio of server CPU per sync to Automerge's own cost of the same merges (replayed in
//! process, see `baseline.rs`). See the README's "Load generator" section. The command line is in
//! `args.rs`, the server under test in `server.rs`, the run loop in `workers.rs`, the figures in
//! `report.rs`.

mod args;
mod baseline;
mod floor;
mod http;
mod join;
mod phone;
mod procfs;
mod report;
mod server;
mod workers;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Parser;
use record_schema::now_ms;

use crate::args::Args;
use crate::http::WireCounters;
use crate::phone::Phone;
use crate::report::{Measured, failures};
use crate::server::{host_of, mint_all, spawn_replicas};
use crate::workers::{Mode, phase};

type Error = Box<dyn std::error::Error + Send + Sync>;

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
    if !args.server.is_empty() && args.data_dir.is_none() && args.database_url.is_none() {
        return Err("with --server, give the server's --data-dir or --database-url so tokens can be minted".into());
    }
    if !args.server_pid.is_empty() && args.server_pid.len() != args.server.len() {
        return Err("give --server-pid once per --server, in the same order".into());
    }
    if args.join {
        return join::run(&args, &data_dir).await;
    }

    let t = Instant::now();
    let tokens = if args.floor {
        (0..args.phones).map(|i| floor::token(i, &projects[i % projects_n])).collect()
    } else {
        mint_all(&args, &data_dir, &projects)?
    };
    say(format!("minted {} tokens over {projects_n} projects in {:.1}s", tokens.len(), t.elapsed().as_secs_f64()));

    // The servers: spawned (one, or `--replicas` on one PostgreSQL database), or given.
    let (spawned, hosts, server_pids) = if args.spawn {
        let (s, hosts) = spawn_replicas(&args, &data_dir)?;
        let pids: Vec<u32> = s.iter().map(|s| s.child.id()).collect();
        (s, hosts, pids)
    } else {
        (Vec::new(), args.server.iter().map(|u| host_of(u)).collect(), args.server_pid.clone())
    };
    for (i, host) in hosts.iter().enumerate() {
        let pid = server_pids.get(i).map(|p| format!(", pid {p}")).unwrap_or_default();
        say(format!("server http://{host} ({backend}){pid}"));
    }
    let counters = Arc::new(WireCounters::default());
    let phones: Vec<Phone> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            // (A phone that never synced: it has no sync state, so its first sync sends `reset`.)
            Phone::new(i, token, projects[i % projects_n].clone(), &run, args.lines).scoped(args.scoped)
        })
        .collect();

    // Setup: every phone uploads its sheet, then one more pass so each holds its peers' sheets.
    let t = Instant::now();
    let (phones, setup) = phase(phones, Mode::Once, concurrency, &hosts, &counters, false).await?;
    let (phones, catchup) = phase(phones, Mode::Once, concurrency, &hosts, &counters, false).await?;
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
        &hosts,
        &counters,
        true,
    )
    .await?;
    let warm_syncs = warm.syncs.len() as u64;
    let with_pg = args.database_url.is_some();
    let before = procfs::Snapshot::take(&server_pids, with_pg);
    let (wire_up0, wire_down0) = (counters.up.load(Ordering::Relaxed), counters.down.load(Ordering::Relaxed));
    let t = Instant::now();
    let mode = Mode::Edits {
        start: t,
        deadline: t + Duration::from_secs_f64(args.duration),
        limit: args.syncs,
        rate: args.rate,
    };
    let (phones, measured) = phase(phones, mode, concurrency, &hosts, &counters, true).await?;
    let elapsed = t.elapsed().as_secs_f64();
    let after = procfs::Snapshot::take(&server_pids, with_pg);
    let wire_up = counters.up.load(Ordering::Relaxed) - wire_up0;
    let wire_down = counters.down.load(Ordering::Relaxed) - wire_down0;

    let verify = if args.verify {
        let (_, v) = phase(phones, Mode::Verify, concurrency, &hosts, &counters, false).await?;
        Some(v)
    } else {
        None
    };
    drop(spawned);

    Ok(report::report(
        &args,
        Measured {
            backend,
            servers: hosts.len(),
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
        },
    ))
}
