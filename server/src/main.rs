//! Boots the server (configuration, database, routes) or runs an admin command.

use clap::Parser;
use server::access::audit;
use server::config::{Command, ReferenceCommand, TokenCommand};
use server::routes::app;
use server::state::AppState;
use server::{Config, auth, db};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs to stderr; stdout carries only what scripts read (the "listening on" line, a new token).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx::postgres::notice=warn".into()),
        )
        .init();
    let config = Config::parse();
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("fieldledger-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let db = db::Db::connect(config.database_url.as_deref(), &config.data_dir).await?;
    match config.command.clone().unwrap_or(Command::Serve) {
        Command::Serve => serve(config, db).await,
        Command::Demo => {
            let welcome = server::demo::command(&db, &config.data_dir).await?;
            print!("{}", welcome.text(&db, &format!("http://{}", config.bind)).await?);
            Ok(())
        }
        Command::Token(TokenCommand::Create { project, role, name, count, full_scope }) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for _ in 0..count {
                let (device_id, token) = auth::create_token(&db, &project, role, &name).await?;
                if full_scope {
                    server::scope_facts::set_full_scope(&db, &device_id).await?;
                }
                // Audited per device, but a load test's thousands of devices as one entry (below).
                if count <= AUDIT_EACH_UP_TO {
                    let facts = audit::Facts::TokenCreated {
                        role,
                        project: project.trim().to_string(),
                        name: name.clone(),
                        count: 1,
                    };
                    let entry = audit::Entry {
                        project_id: Some(project.trim()),
                        device_id: Some(&device_id),
                        facts,
                        ..Default::default()
                    };
                    audit::record(&db, audit::Event::TokenCreated, entry).await?;
                }
                if count == 1 {
                    eprintln!(
                        "device {device_id} ({}) may act as {} on project {}",
                        name,
                        role.as_str(),
                        project.trim()
                    );
                }
                writeln!(out, "{token}")?;
            }
            if count > AUDIT_EACH_UP_TO {
                let facts = audit::Facts::TokenCreated {
                    role,
                    project: project.trim().to_string(),
                    name: name.clone(),
                    count: u64::from(count),
                };
                let entry = audit::Entry { project_id: Some(project.trim()), facts, ..Default::default() };
                audit::record(&db, audit::Event::TokenCreated, entry).await?;
            }
            if count > 1 {
                eprintln!("{count} devices ({}) may act as {} on project {}", name, role.as_str(), project.trim());
            }
            Ok(())
        }
        Command::Device(command) => server::access::device_command::run(&db, command).await,
        Command::Admin(command) => {
            server::access::person_command::admin(&db, &format!("http://{}", config.bind), command).await
        }
        Command::Person(command) => {
            server::access::person_command::person(&db, &format!("http://{}", config.bind), command).await
        }
        Command::Pairing(command) => {
            server::access::pairing::command(&db, &format!("http://{}", config.bind), command).await
        }
        Command::Reference(ReferenceCommand::Import { project, table, file }) => {
            import_reference(&db, project.trim(), table.as_deref(), &file).await
        }
    }
}

/// `token create --count N`: up to this many devices get an audit entry each; more get one.
const AUDIT_EACH_UP_TO: u32 = 20;

async fn import_reference(
    db: &db::Db,
    project: &str,
    table: Option<&str>,
    file: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    use server::reference::{ReferenceError, import, store};
    let table = table.map(str::parse::<server::reference::table::Table>).transpose()?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let cache = server::cache::DocCache::new(1 << 20);
    let result = match import::read_file(&bytes, table) {
        Ok(tables) => store::import(db, &cache, project, &tables).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => {
            eprintln!(
                "imported into {project}: {} site(s), {} cost code(s), {} activit(ies), {} trade(s), {} expense \
                 categor(ies){}",
                s.sites,
                s.cost_codes,
                s.activities,
                s.trades,
                s.expense_categories,
                if s.project > 0 { ", project details" } else { "" }
            );
            Ok(())
        }
        Err(ReferenceError::Invalid(errors)) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            if errors.more() > 0 {
                eprintln!("{}: and {} more problem(s)", file.display(), errors.more());
            }
            Err(format!("nothing was imported: {} problem(s)", errors.len()).into())
        }
        Err(e) => Err(e.into()),
    }
}

async fn serve(config: Config, db: db::Db) -> Result<(), Box<dyn std::error::Error>> {
    let welcome = if config.demo { server::demo::on_start(&db, &config.data_dir).await? } else { None };
    let store = server::blobs::store::open(config.blob_store.as_deref(), &config.data_dir)?;
    let ttl = std::time::Duration::from_secs(config.upload_expiry_minutes.saturating_mul(60));
    let blobs = server::blobs::Blobs::new(store, &config.data_dir, config.max_upload_bytes, ttl)?;
    // Expired uploads are swept once before serving (so a restart cleans up at once), then periodically.
    server::blobs::tus::sweep_expired(&db, &blobs).await?;
    server::blobs::tus::spawn_sweeper(db.clone(), blobs.clone());
    // Daily-report PDFs: the font, found once (its absence is said when a PDF is asked for).
    server::daily_reports::pdf::configure(config.report_font.clone());
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    // Before the line below: a signal sent as soon as it is printed must find the handlers.
    let signal = shutdown_signal()?;
    let state = AppState::new(db.clone(), config.limits(), blobs);
    // Outgoing webhooks: the delivery worker (pending messages of a previous run first) and the event
    // task (record events, wage arrears, digests), sharing the server's document cache.
    server::webhooks::spawn(db.clone(), state.cache.clone());
    // Daily reports: regenerates the days whose records changed once they settle
    // (FIELDLEDGER_DAILY_REPORT_SETTLE_SECS, default 300) and announces each new version (daily_report.ready).
    server::daily_reports::worker::spawn(state.clone(), server::daily_reports::worker::settle_from_env());
    let commits = state.commits.clone();
    // Migration 0012 marked the queue's index for re-reading: done here in the background, in
    // bounded steps, so the first queue view after the upgrade does not wait for it.
    let (reindex_db, reindex_cache) = (db.clone(), state.cache.clone());
    tokio::spawn(async move {
        if let Err(e) = server::ledger::pending::reindex_backlog(&reindex_db, &reindex_cache).await {
            tracing::error!(error = %e, "queue index: background re-index stopped (requests carry on with it)");
        }
    });
    // Tests and scripts read this line to find the port.
    println!("listening on http://{addr}");
    if let Some(welcome) = welcome {
        // After the line scripts wait for; a reader that stopped reading must not stop the server.
        use std::io::Write;
        let text = welcome.text(&db, &format!("http://{addr}")).await?;
        let _ = write!(std::io::stdout(), "{text}");
        let _ = std::io::stdout().flush();
    }
    tracing::info!(database = db.backend(), data_dir = %config.data_dir.display(), "listening on http://{addr}");
    if let Some(link) = server::access::person_command::first_run(&db, &format!("http://{addr}")).await? {
        tracing::warn!("First run: open {link} to set the first admin's password (valid 24 h)");
    }
    let (signalled, on_signal) = tokio::sync::oneshot::channel();
    // The peer's address reaches handlers (sign-in throttling and the access audit).
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let serving = axum::serve(listener, service).with_graceful_shutdown(async move {
        signal.await;
        let _ = signalled.send(());
    });
    let mut serving = std::pin::pin!(serving.into_future());
    tokio::select! {
        result = &mut serving => return Ok(result?),
        Ok(()) = on_signal => {}
    }
    // No new connections now; requests in flight finish, then the writes they (or requests whose
    // clients left) queued are committed. All within the grace period.
    let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
    tracing::info!("shutting down: finishing requests in flight (at most {} s)", grace.as_secs());
    let drained = tokio::time::timeout(grace, async {
        let served = serving.await;
        commits.close().await;
        served
    })
    .await;
    match drained {
        Ok(served) => {
            served?;
            tracing::info!("shut down cleanly");
            Ok(())
        }
        Err(_) => Err(format!(
            "shutdown grace period ({} s, --shutdown-grace-seconds) ran out: requests or writes still in flight were dropped",
            grace.as_secs()
        )
        .into()),
    }
}

/// Resolves on SIGTERM (how service managers and container runtimes stop a process) or Ctrl-C.
/// The handlers are installed at once, when this is called.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut term, mut int) = (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
        Ok(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received"),
                _ = int.recv() => tracing::info!("SIGINT received"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
