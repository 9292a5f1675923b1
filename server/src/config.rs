//! Configuration by flags and environment, and the admin commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::Role;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "fieldledger-server", version, about = "Fieldledger sync and approval server")]
pub struct Config {
    /// Folder for the embedded database and photo blobs; created if missing.
    #[arg(long, env = "FIELDLEDGER_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (`postgres://…`); unset means SQLite in the data folder.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, env = "FIELDLEDGER_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,
    /// Memory for hot documents kept parsed between syncs, in MiB.
    #[arg(long, env = "FIELDLEDGER_DOC_CACHE_MB", default_value_t = 64, global = true)]
    pub doc_cache_mb: usize,
    /// Largest sync request accepted, in MiB (larger gets 413).
    #[arg(long, env = "FIELDLEDGER_MAX_REQUEST_MB", default_value_t = 32, global = true)]
    pub max_request_mb: usize,
    /// KiB of offered documents per sync answer; the rest follow on the phone's next request (a
    /// phone joining a big project gets it in several answers).
    #[arg(long, env = "FIELDLEDGER_SYNC_ANSWER_KB", default_value_t = crate::state::DEFAULT_SYNC_ANSWER_KB, value_parser = clap::value_parser!(u32).range(1..=1_048_576), global = true)]
    pub sync_answer_kb: u32,
    /// Writer tasks of the shared commit on PostgreSQL (each holds a connection while it commits a
    /// batch of sync writes); SQLite always has one.
    #[arg(long, env = "FIELDLEDGER_DB_WRITERS", default_value_t = crate::state::DEFAULT_DB_WRITERS, global = true)]
    pub db_writers: usize,
    /// Sync writes that may wait for the database; past this a sync gets 503 with `Retry-After`.
    #[arg(long, env = "FIELDLEDGER_COMMIT_QUEUE", default_value_t = crate::state::DEFAULT_COMMIT_QUEUE, value_parser = clap::value_parser!(u32).range(1..=1_000_000), global = true)]
    pub commit_queue: u32,
    /// Seconds an API request (sync, approvals, reports, screens) may take, body included; 408 after.
    /// Photo uploads are bounded by `--upload-stall-seconds` instead.
    #[arg(long, env = "FIELDLEDGER_REQUEST_TIMEOUT_SECONDS", default_value_t = crate::state::DEFAULT_REQUEST_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub request_timeout_seconds: u64,
    /// Seconds a photo upload's body may send nothing before the request ends (the bytes received are
    /// kept unless the chunk has a checksum) and the upload is free for the next PATCH.
    #[arg(long, env = "FIELDLEDGER_UPLOAD_STALL_SECONDS", default_value_t = crate::state::DEFAULT_UPLOAD_STALL_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub upload_stall_seconds: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight and queued database writes
    /// before the process exits anyway.
    #[arg(long, env = "FIELDLEDGER_SHUTDOWN_GRACE_SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS, value_parser = clap::value_parser!(u64).range(0..=3_600), global = true)]
    pub shutdown_grace_seconds: u64,
    /// Where photo blobs go: `fs` (default: `<data dir>/blobs`), `memory`, `file:///path`, or
    /// `s3://bucket/prefix` (servers built with `--features s3`; credentials from `AWS_*`).
    #[arg(long, env = "FIELDLEDGER_BLOB_STORE", global = true)]
    pub blob_store: Option<String>,
    /// Largest photo upload accepted, in bytes.
    #[arg(long, env = "FIELDLEDGER_MAX_UPLOAD_BYTES", default_value_t = crate::blobs::DEFAULT_MAX_UPLOAD, global = true)]
    pub max_upload_bytes: u64,
    /// Minutes an unfinished photo upload lives before it expires (410) and its partial file is deleted.
    #[arg(long, env = "FIELDLEDGER_UPLOAD_EXPIRY_MINUTES", default_value_t = crate::blobs::DEFAULT_UPLOAD_EXPIRY_MINUTES, global = true)]
    pub upload_expiry_minutes: u64,
    /// Before serving, load the demo company if the database holds no project yet (see `demo`).
    /// The font daily-report PDFs are drawn with (TrueType/OpenType, or a .ttc collection's first face
    /// whose family is Chinese); without it, Debian's fonts-noto-cjk (Noto Sans CJK SC) where installed.
    #[arg(long, env = "FIELDLEDGER_REPORT_FONT", global = true)]
    pub report_font: Option<PathBuf>,

    #[arg(long)]
    pub demo: bool,
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage device tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load the demo company (one project, three foremen's phones, four weeks of records up to
    /// today, most approved), print how to sign in, and exit. Loaded once: a second run only prints.
    Demo,
    /// List, revoke, rename devices, or give one a new token.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Manage a project's reference data.
    #[command(subcommand)]
    Reference(ReferenceCommand),
    /// Make a company admin (admin of every project) and print their sign-in link.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Add people, give them a role on a project, make sign-in links, disable them.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Make a one-time code a person's phone pairs with (prints it, and the link its QR holds).
    #[command(subcommand)]
    Pairing(PairingCommand),
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PairingCommand {
    /// A new pairing code for a person (on at least one project), valid `--minutes` (default 15).
    Create {
        #[arg(long)]
        person: String,
        #[arg(long, default_value_t = crate::access::pairing::DEFAULT_MINUTES)]
        minutes: i64,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ReferenceCommand {
    /// Import sites, cost codes, activities, trades (and the project's name and currency) from an
    /// XLSX workbook (one sheet per table) or a CSV file (one table, `--table`). All or nothing:
    /// every problem is printed with its row and column.
    Import {
        #[arg(long)]
        project: String,
        /// For a CSV file: project, sites, cost_codes, activities or trades.
        #[arg(long)]
        table: Option<String>,
        file: PathBuf,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a device and print its token (shown once; only its hash is stored). With `--count N`,
    /// N devices, one token per line.
    Create {
        /// Project the device may see and change.
        #[arg(long)]
        project: String,
        #[arg(long, value_enum)]
        role: Role,
        /// A name to recognise the device by, e.g. the foreman's name and phone.
        #[arg(long, default_value = "device")]
        name: String,
        /// How many devices to create (load tests need hundreds); each gets its own token.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
        /// The device holds the whole project whatever the sync scope (an export or backup device).
        #[arg(long)]
        full_scope: bool,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum DeviceCommand {
    /// Devices with their person, role, projects, last request and app version (live ones first).
    List {
        /// Only the devices holding a token of this project.
        #[arg(long)]
        project: Option<String>,
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device (and the other device rows of its handset) with all its tokens: its next
    /// request is refused and its browser sessions end.
    Revoke { id: String },
    /// Rename a device (1 to 100 characters).
    Rename { id: String, name: String },
    /// Give a device a new token for the same project and role (printed once); the old one stops
    /// working.
    Rotate { id: String },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminCommand {
    /// A new company admin; prints their one-time sign-in link (valid 24 h) to set a password.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PersonCommand {
    /// A new person (prints their id), optionally with a role on a project.
    Add {
        #[arg(long)]
        name: String,
        /// Digits, spaces, dashes and a leading +; 6 to 20 digits; unique.
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, requires = "role")]
        project: Option<String>,
        #[arg(long, value_enum, requires = "project")]
        role: Option<Role>,
    },
    /// Give a person a role on a project (or change it).
    Grant {
        #[arg(long)]
        person: String,
        #[arg(long)]
        project: String,
        #[arg(long, value_enum)]
        role: Role,
        /// The sites they work on there (repeat for each; sites of the project's reference data):
        /// replaces their site list, which their phones' sync scope follows. Absent: unchanged.
        #[arg(long = "site", value_name = "SITE")]
        sites: Vec<String>,
        /// Every site of the project (clears their site list).
        #[arg(long, conflicts_with = "sites")]
        all_sites: bool,
    },
    /// Take a person off a project.
    Revoke {
        #[arg(long)]
        person: String,
        #[arg(long)]
        project: String,
    },
    /// A new one-time sign-in link (valid 24 h) for a person to set their password.
    Link {
        #[arg(long)]
        person: String,
    },
    /// A person can no longer sign in: their sessions end and their devices are revoked.
    Disable {
        #[arg(long)]
        person: String,
    },
    /// Make a person a company admin (admin of every project), or with `--off` no longer one.
    CompanyAdmin {
        #[arg(long)]
        person: String,
        #[arg(long)]
        off: bool,
    },
}

/// Seconds a shutdown waits for requests in flight and queued writes.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;

impl Config {
    pub fn limits(&self) -> crate::state::Limits {
        crate::state::Limits {
            cache_bytes: self.doc_cache_mb.saturating_mul(1 << 20),
            max_request_bytes: self.max_request_mb.saturating_mul(1 << 20),
            db_writers: self.db_writers.clamp(1, 16),
            commit_queue: usize::try_from(self.commit_queue).unwrap_or(usize::MAX).max(1),
            request_timeout: Duration::from_secs(self.request_timeout_seconds.max(1)),
            upload_stall: Duration::from_secs(self.upload_stall_seconds.max(1)),
            sync_answer_bytes: usize::try_from(self.sync_answer_kb).unwrap_or(usize::MAX).saturating_mul(1 << 10),
        }
    }
}
