//! `fieldledger-server device list|revoke|rename|rotate`: the devices commands (over
//! `super::devices`). Results go to stdout (a rotated token alone on its line, as `token create`
//! prints one); what happened to stderr; an unknown device is an error (exit code 1).

use std::io::Write;

use super::devices::{self, Actor, DeviceError, DeviceInfo, Scope};
use crate::config::DeviceCommand;
use crate::db::Db;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A time for the table: `2026-11-20 14:05 UTC`, or `never`.
fn when(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn table(list: &[DeviceInfo], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "ID\tNAME\tPERSON\tROLE\tPROJECTS\tLAST SEEN\tAPP\tSTATUS")?;
    for d in list {
        let status = match d.revoked_at_ms {
            Some(at) => format!("revoked {}", when(Some(at))),
            None => "live".to_string(),
        };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            d.id,
            d.name,
            d.person_name.as_deref().unwrap_or("-"),
            d.role,
            d.projects.join(","),
            when(d.last_seen_at_ms),
            d.app_version.as_deref().unwrap_or("-"),
            status
        )?;
    }
    Ok(())
}

/// What the command line says of a refusal (the id named, nothing of SQL unless it is SQL).
fn refused(e: DeviceError) -> Box<dyn std::error::Error> {
    match e {
        DeviceError::NotFound(id) => format!("no device {id:?} (`device list` shows them)").into(),
        other => other.to_string().into(),
    }
}

pub async fn run(db: &Db, command: DeviceCommand) -> Result<()> {
    let cli = Actor::default();
    let mut out = std::io::stdout().lock();
    match command {
        DeviceCommand::List { project, json } => {
            let project = project.as_deref().map(str::trim).filter(|p| !p.is_empty());
            let scope = project.map_or(Scope::All, Scope::Project);
            let list = devices::list(db, scope).await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "devices": list }))?;
                writeln!(out)?;
            } else {
                table(&list, &mut out)?;
            }
        }
        DeviceCommand::Revoke { id } => {
            let revoked = devices::revoke(db, &id, None, cli).await.map_err(refused)?;
            if revoked.is_empty() {
                eprintln!("device {id} was already revoked");
            }
            for d in revoked {
                writeln!(out, "{d}")?;
                eprintln!("device {d} revoked: its tokens no longer work");
            }
        }
        DeviceCommand::Rename { id, name } => {
            let name = devices::rename(db, &id, &name, None, cli).await.map_err(refused)?;
            eprintln!("device {id} is now called {name:?}");
        }
        DeviceCommand::Rotate { id } => {
            let r = devices::rotate(db, &id, None, cli).await.map_err(refused)?;
            eprintln!(
                "device {id} has a new token ({} on project {}); the old one no longer works. Shown once:",
                r.role, r.project_id
            );
            writeln!(out, "{}", r.token)?;
        }
    }
    Ok(())
}
