//! The command line.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(name = "fieldledger-loadgen", version, about = "Simulates many phones syncing against a Fieldledger server")]
pub struct Args {
    /// Target a running server (`http://127.0.0.1:8080`). Tokens are minted with `--server-bin`
    /// against the same database, so give the server's `--data-dir` or `--database-url` too. Give it
    /// several times for replicas on one database: phones are spread round robin over the URLs, each
    /// phone always on the same one.
    #[arg(long, conflicts_with = "spawn", required_unless_present_any = ["spawn", "serve_floor"])]
    pub server: Vec<String>,
    /// PID of a `--server` process, for its CPU time (once per `--server`, in the same order).
    #[arg(long, requires = "server")]
    pub server_pid: Vec<u32>,
    /// Start the server binary on a fresh data folder (and stop it at the end).
    #[arg(long)]
    pub spawn: bool,
    /// With `--spawn` and `--database-url`: start this many server processes on the one database
    /// (each on its own port, sharing the data folder for blobs); phones are spread round robin
    /// over them and the CPU of each is reported.
    #[arg(long, default_value_t = 1, requires = "spawn")]
    pub replicas: usize,
    /// The join scenario instead of edit syncs (`join.rs`): seed a project of `--join-docs`
    /// documents (`--join-foremen` foremen's daily labour sheets over `--join-days` days) and one of
    /// `--idle-docs`, then a brand-new phone joins each (first sync until settled: wall time,
    /// rounds, bytes, documents), then `--idle-syncs` idle syncs of that phone on each project.
    #[arg(long, conflicts_with_all = ["floor", "verify"])]
    pub join: bool,
    /// Documents of the big project in `--join`.
    #[arg(long, default_value_t = 20_000)]
    pub join_docs: usize,
    /// Documents of the small project in `--join` (the idle sync's cost is compared on both).
    #[arg(long, default_value_t = 1_000)]
    pub idle_docs: usize,
    /// Foremen whose sheets the `--join` projects hold (each one sheet a working day).
    #[arg(long, default_value_t = 30)]
    pub join_foremen: usize,
    /// Days of history of the `--join` projects (ending today).
    #[arg(long, default_value_t = 730)]
    pub join_days: usize,
    /// Idle syncs measured on each `--join` project.
    #[arg(long, default_value_t = 500)]
    pub idle_syncs: usize,
    /// Phones apply sync scopes (issue 25, docs/sync-scopes.md): every request carries `scope_fp`
    /// (empty at first, then the fingerprint of the last `scope` the server sent), so the server
    /// sends each phone only the documents in its scope. Nothing else of the phone's scope rules is
    /// simulated (no eviction, `dropped` or `fetch`). With `--join`: a third phone joins the big
    /// project scoped, after the unscoped one (wall time, rounds, bytes), and idles there too.
    #[arg(long)]
    pub scoped: bool,
    /// With `--spawn`: instead of the Fieldledger server, start the floor, this binary serving the
    /// same protocol over the same HTTP stack from memory only (no database, token check,
    /// validation or durability). Its CPU per sync is the least any HTTP server of the protocol
    /// spends: how far the real server's ratio could fall (`floor.rs`).
    #[arg(long, requires = "spawn", conflicts_with_all = ["database_url", "server_bin"])]
    pub floor: bool,
    /// Serve the floor (what `--floor` starts; not for use by hand).
    #[arg(long, hide = true)]
    pub serve_floor: bool,
    /// The server binary (default: `fieldledger-server` next to this binary).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// PostgreSQL for the server (default SQLite in the data folder). With `--spawn`, use a database
    /// of its own: the run leaves its devices and documents there.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The server's data folder (default with `--spawn`: a temporary folder, removed afterwards).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Simulated phones.
    #[arg(long, default_value_t = 1000)]
    pub phones: usize,
    /// Projects the phones are spread over (round robin). Phones of one project receive each
    /// other's sheets, so each sync also carries the peers' edits since the phone's last sync.
    #[arg(long, default_value_t = 1000)]
    pub projects: usize,
    /// Syncs in flight at once (each on its own kept-alive connection); at most `--phones`.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds of the measured phase (ignored with `--syncs`).
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Measure exactly this many syncs instead of a duration.
    #[arg(long)]
    pub syncs: Option<u64>,
    /// Start syncs at this many per second (open loop; latency then includes waiting for one of the
    /// `--concurrency` connections). Default: closed loop, each connection starts its next sync as
    /// soon as the last one settled.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seconds of unmeasured edit syncs before the measured phase.
    #[arg(long, default_value_t = 3.0)]
    pub warmup: f64,
    /// Crew lines on each phone's sheet.
    #[arg(long, default_value_t = 4)]
    pub lines: usize,
    /// Worker threads of the load generator's own runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Skip the in-process Automerge baseline.
    #[arg(long)]
    pub no_baseline: bool,
    /// Afterwards, read every phone's sheet back through a fresh client and compare.
    #[arg(long)]
    pub verify: bool,
    /// Print the figures as one JSON object on stdout (the human report goes to stderr).
    #[arg(long)]
    pub json: bool,
}
