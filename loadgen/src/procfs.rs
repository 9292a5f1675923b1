//! CPU time from /proc (Linux): a process's user+system time, PostgreSQL's backends, the machine.

use std::path::Path;

/// Clock ticks per second for /proc times (`getconf CLK_TCK`, almost always 100).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// (command name, utime + stime in ticks) of a process.
fn stat(path: &Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// CPU ticks used so far by process `pid`.
pub fn process_ticks(pid: u32) -> Option<u64> {
    stat(Path::new(&format!("/proc/{pid}/stat"))).map(|(_, t)| t)
}

/// Nanoseconds on a CPU so far of every live thread of process `pid` (`/proc/<pid>/task/*/schedstat`,
/// the scheduler's own count): exact where utime + stime are sampled at the clock tick (10 ms), too
/// coarse for an idle sync's fraction of a millisecond. Threads that exited in between are missed
/// (the server's runtime and database threads live as long as it does).
pub fn process_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for t in tasks.flatten() {
        let text = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
        total += text.split_whitespace().next().and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    }
    Some(total)
}

/// Seconds since boot (`/proc/uptime`, CLOCK_BOOTTIME, 10 ms): marks to cut a profile taken with
/// `perf record -k boottime` by phase (`perf report --time`).
pub fn boottime_s() -> Option<f64> {
    std::fs::read_to_string("/proc/uptime").ok()?.split_whitespace().next()?.parse().ok()
}

/// CPU ticks used so far by every process named `postgres` on the machine (its backends do the
/// database's work outside the server process). Backends that exit in between are missed.
pub fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|e| stat(&e.path().join("stat")))
        .filter(|(comm, _)| comm == "postgres")
        .map(|(_, t)| t)
        .sum()
}

/// (busy, total) ticks of all CPUs since boot, from the first line of /proc/stat.
pub fn machine_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> =
        text.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// CPU counters at one instant.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The server processes' CPU ticks, in `--server`/replica order (none: a PID unknown or gone).
    pub servers: Vec<Option<u64>>,
    pub postgres: Option<u64>,
    pub loadgen: u64,
    pub machine_busy: u64,
    pub machine_total: u64,
}

impl Snapshot {
    pub fn take(server_pids: &[u32], with_postgres: bool) -> Snapshot {
        let (machine_busy, machine_total) = machine_ticks();
        Snapshot {
            servers: server_pids.iter().map(|&p| process_ticks(p)).collect(),
            postgres: with_postgres.then(postgres_ticks),
            loadgen: process_ticks(std::process::id()).unwrap_or(0),
            machine_busy,
            machine_total,
        }
    }
}

/// CPU milliseconds each server process spent between two snapshots (none where unknown).
pub fn server_ms(before: &Snapshot, after: &Snapshot, ticks: f64) -> Vec<Option<f64>> {
    before
        .servers
        .iter()
        .zip(&after.servers)
        .map(|(a, b)| a.zip(*b).map(|(a, b)| b.saturating_sub(a) as f64 * 1000.0 / ticks))
        .collect()
}
