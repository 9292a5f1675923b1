//! Configuration by flags and environment.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Parser)]
#[command(name = "fieldledger-server", version, about = "Fieldledger sync and approval server")]
pub struct Config {
    /// Folder for the embedded database and photo blobs; created if missing.
    #[arg(long, env = "FIELDLEDGER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (`postgres://…`); unset means SQLite in the data folder.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address to listen on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, env = "FIELDLEDGER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
}
