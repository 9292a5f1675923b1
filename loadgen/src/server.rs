//! The server under test: started from its binary on a fresh data folder (or the floor, this
//! binary serving from memory), and foreman tokens minted with its admin command.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::Error;
use crate::args::Args;

/// The server this run started; stopped on drop.
pub struct Spawned {
    pub child: Child,
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

pub fn spawn_server(args: &Args, data_dir: &std::path::Path) -> Result<(Spawned, String), Error> {
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

/// `--replicas` servers on the one database and data folder (one unless PostgreSQL: SQLite's file
/// belongs to one process), each on a port of its own; (processes, `ip:port` of each).
pub fn spawn_replicas(args: &Args, data_dir: &std::path::Path) -> Result<(Vec<Spawned>, Vec<String>), Error> {
    let n = args.replicas.max(1);
    if n > 1 && (args.floor || args.database_url.is_none()) {
        return Err("--replicas above 1 needs --database-url (replicas share one PostgreSQL database)".into());
    }
    let mut spawned = Vec::with_capacity(n);
    let mut hosts = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, addr) = spawn_server(args, data_dir)?;
        spawned.push(s);
        hosts.push(addr);
    }
    Ok((spawned, hosts))
}

/// `ip:port` of a `--server` URL.
pub fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_string()
}

/// Mints `count` foreman tokens for `project` with the server's admin command.
pub fn mint_tokens(args: &Args, data_dir: &std::path::Path, project: &str, count: usize) -> Result<Vec<String>, Error> {
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

/// A foreman token per phone, minted with the server's admin command; phone i is of project
/// i mod the number of projects.
pub fn mint_all(args: &Args, data_dir: &std::path::Path, projects: &[String]) -> Result<Vec<String>, Error> {
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
