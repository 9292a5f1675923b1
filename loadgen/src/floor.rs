//! The floor: this binary serving `POST /v1/sync` over the same HTTP stack (axum on Tokio) and
//! wire format (CBOR) as the Fieldledger server, but with the in-memory merges of `baseline.rs`
//! only: no database, no durability, no token check (the token names the phone), no record
//! validation. What it spends per sync beyond Automerge is what any HTTP server of this protocol
//! spends at least, so a run against it (`--floor`) shows how close the real server could get to
//! Automerge's own cost (README, "Load generator").

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use record_schema::wire::SyncRequest;

use crate::baseline::MemServer;

/// Documents are never shared across projects, so each project's documents and device states can
/// live in a shard of their own: concurrent syncs of different projects rarely wait for each other.
const SHARDS: usize = 64;

type Shards = Arc<Vec<Mutex<MemServer>>>;

/// The token of phone `index` of `project` on the floor.
pub fn token(index: usize, project: &str) -> String {
    format!("floor.{index}.{project}")
}

fn phone_of(headers: &HeaderMap) -> Option<(usize, String)> {
    let token = headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer floor.")?;
    let (index, project) = token.split_once('.')?;
    Some((index.parse().ok()?, project.to_string()))
}

fn shard_of(project: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    project.hash(&mut h);
    (h.finish() % SHARDS as u64) as usize
}

async fn sync(State(shards): State<Shards>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((device, project)) = phone_of(&headers) else {
        return (StatusCode::UNAUTHORIZED, "expected a floor token").into_response();
    };
    let req: SyncRequest = match ciborium::from_reader(body.as_ref()) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("expected a CBOR sync request: {e}")).into_response(),
    };
    let resp = {
        let Ok(mut shard) = shards[shard_of(&project)].lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        shard.handle(device, &project, req)
    };
    let mut out = Vec::new();
    if ciborium::into_writer(&resp, &mut out).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(CONTENT_TYPE, "application/cbor")], out).into_response()
}

/// Serves the floor on 127.0.0.1 (any free port), saying `listening on http://ADDR` first, as the
/// server does. Runs until killed, on a runtime like the server's (a worker per core).
pub fn serve() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let shards: Shards = Arc::new((0..SHARDS).map(|_| Mutex::new(MemServer::default())).collect());
        let app = Router::new().route("/v1/sync", post(sync)).with_state(shards);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}
