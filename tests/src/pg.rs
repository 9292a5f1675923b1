//! Throwaway PostgreSQL databases on the local server, one per test.

/// A throwaway PostgreSQL database on the local server (`FIELDLEDGER_TEST_PG`, default the machine's
/// trust-auth `test` database as the admin connection), dropped afterwards.
pub struct ThrowawayPg {
    admin: String,
    name: String,
}

impl ThrowawayPg {
    pub fn create() -> Self {
        let admin = std::env::var("FIELDLEDGER_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let name = format!(
            "fl_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        psql(&admin, &format!("CREATE DATABASE {name}"));
        ThrowawayPg { admin, name }
    }

    pub fn url(&self) -> String {
        match self.admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{}", self.name),
            None => panic!("FIELDLEDGER_TEST_PG has no database part: {}", self.admin),
        }
    }
}

impl Drop for ThrowawayPg {
    fn drop(&mut self) {
        psql(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn psql(url: &str, sql: &str) {
    // On its own thread: callers may already be inside a tokio runtime (#[tokio::test]).
    let (url, sql) = (url.to_string(), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} (scripts/test-setup.sh starts it): {e}"));
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(&mut c).await.expect(&sql);
        });
    })
    .join()
    .expect("psql thread");
}
