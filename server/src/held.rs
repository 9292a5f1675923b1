//! Connections held outside sqlx's pool, for the sync path's hot statements.
//!
//! sqlx's pool tests every connection handed back to it with a ping: a round trip to PostgreSQL,
//! a hand-off to SQLite's connection thread and back. For a one-statement query (the token lookup
//! that starts every sync) or a one-call group commit, that doubled the round trips (measured:
//! ~9% of syncs/s on PostgreSQL, ~8% on SQLite). Held connections skip the ping. What it guards
//! against, a connection handed back mid-statement (an error, or a request dropped part-way), is
//! handled by not handing such a connection back at all: a lease that was not `release`d closes
//! its connection, and the next lease opens a fresh one.

use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::db::{Conn, Db, PING_IF_IDLE_FOR};

/// At most `size` connections, opened as needed and kept.
pub struct Held {
    db: Db,
    idle: Mutex<Vec<(Conn, Instant)>>,
    permits: Semaphore,
}

impl Held {
    pub fn new(db: Db, size: usize) -> Self {
        Held { db, idle: Mutex::new(Vec::new()), permits: Semaphore::new(size.max(1)) }
    }

    /// A connection, waiting while all `size` are leased. One idle for long is pinged first and
    /// replaced if it is gone.
    pub async fn lease(&self) -> Result<Lease<'_>, sqlx::Error> {
        let permit = self.permits.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some((conn, since)) if since.elapsed() < PING_IF_IDLE_FOR => conn,
            Some((mut conn, _)) => match conn.ping().await {
                Ok(()) => conn,
                Err(_) => self.db.detached().await?,
            },
            None => self.db.detached().await?,
        };
        Ok(Lease { held: self, conn: Some(conn), released: false, _permit: permit })
    }
}

/// A leased connection. `release` it after its last statement succeeded; dropped otherwise, it is
/// closed.
pub struct Lease<'a> {
    held: &'a Held,
    conn: Option<Conn>,
    released: bool,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    pub fn conn(&mut self) -> &mut Conn {
        // (Only `drop` takes the connection out.)
        self.conn.as_mut().expect("a lease holds its connection until dropped")
    }

    /// The connection is back in a known state: keep it for the next lease.
    pub fn release(mut self) {
        self.released = true;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (true, Some(conn)) = (self.released, self.conn.take()) {
            self.held.idle.lock().unwrap_or_else(|e| e.into_inner()).push((conn, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the leased connection is the one that made the temporary table (temporary tables
    /// belong to one connection).
    async fn marked(lease: &mut Lease<'_>) -> bool {
        let Conn::Sqlite(c) = lease.conn() else { unreachable!("SQLite") };
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM temp.sqlite_master WHERE name = 'marker'")
            .fetch_one(&mut *c)
            .await
            .expect("query")
            == 1
    }

    #[tokio::test]
    async fn a_released_connection_is_reused_and_an_unreleased_one_is_closed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let held = Held::new(Db::connect(None, dir.path()).await.expect("database"), 1);
        let mut lease = held.lease().await.expect("lease");
        let Conn::Sqlite(c) = lease.conn() else { unreachable!("SQLite") };
        sqlx::query("CREATE TEMP TABLE marker (x)").execute(&mut *c).await.expect("temp table");
        lease.release();

        let mut lease = held.lease().await.expect("lease");
        assert!(marked(&mut lease).await, "the released connection comes back");
        drop(lease); // not released: e.g. its statement failed or its request was dropped

        let mut lease = held.lease().await.expect("lease");
        assert!(!marked(&mut lease).await, "a fresh connection replaces the unreleased one");
        lease.release();
    }
}
