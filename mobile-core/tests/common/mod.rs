//! Shared fixtures for mobile-core's integration tests: a store in a temp dir, reference data, inputs,
//! and a fingerprint of everything a store holds on disk (to prove bad input changed nothing).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, Utc};
use chrono_tz::Asia::Shanghai;
use mobile_core::ffi::types::*;
use mobile_core::ffi::{FieldStore, reference_document};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};

pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Arc<FieldStore>,
}

pub fn open_store(author: &str) -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("phone.db");
    let store = FieldStore::open(path.display().to_string(), author.into()).expect("open store");
    TestStore { dir, path, store }
}

pub fn today() -> String {
    Utc::now().with_timezone(&Shanghai).date_naive().to_string()
}

pub fn days_from_today(days: i64) -> String {
    (Utc::now().with_timezone(&Shanghai).date_naive() + Duration::days(days)).to_string()
}

pub fn place() -> RecordPlace {
    RecordPlace { project_id: "P1".into(), site_id: "S1".into(), time_zone: Some("Asia/Shanghai".into()) }
}

pub fn new_sheet(date: &str) -> NewLabourSheet {
    NewLabourSheet {
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: Some("Asia/Shanghai".into()),
        work_date: date.into(),
        currency: None,
        note: None,
    }
}

pub fn line(trade: &str, headcount: i64, hours: &str, rate: &str) -> CrewLineInput {
    CrewLineInput {
        trade: trade.into(),
        crew: Some("张班组".into()),
        headcount,
        effort_unit: EffortUnit::Hours,
        effort: hours.into(),
        rate: rate.into(),
        cost_code: "03-100".into(),
        activity: Some("A-POUR-L3".into()),
        note: None,
        workers: vec![],
        rate_unit: None,
    }
}

pub fn expense(amount: &str) -> ExpenseInput {
    ExpenseInput {
        date: today(),
        amount: amount.into(),
        currency: None,
        category: "materials".into(),
        vendor: Some("五金店".into()),
        cost_code: "03-100".into(),
        note: None,
    }
}

pub fn reference() -> ReferenceData {
    ReferenceData {
        project_id: "P1".into(),
        currency: "CNY".into(),
        sites: vec![Site { id: "S1".into(), name: "一号楼".into(), time_zone: "Asia/Shanghai".into() }],
        cost_codes: vec![
            CostCode { code: "03".into(), name: "Concrete".into(), parent: None },
            CostCode { code: "03-100".into(), name: "Cast-in-place".into(), parent: Some("03".into()) },
            CostCode { code: "03-200".into(), name: "Rebar".into(), parent: Some("03".into()) },
        ],
        activities: vec![Activity {
            id: "A-POUR-L3".into(),
            name: "Pour level 3 slab".into(),
            planned_start: Some("2026-11-01".into()),
            planned_finish: Some("2026-12-15".into()),
            unit: Some("m3".into()),
        }],
        trades: vec![Trade { name: "木工".into(), day_rate: Some("380.00".into()), hour_rate: Some("47.50".into()) }],
        hours_per_day: None,
        expense_categories: vec![],
        workers: vec![],
    }
}

pub fn import_reference(store: &FieldStore) {
    let bytes = reference_document(reference()).expect("reference document");
    store.import_changes("reference:P1".into(), bytes).expect("import reference");
}

/// Writes a real JPEG of `w`×`h` with some texture.
pub fn write_jpeg(path: &Path, w: u32, h: u32) {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8]));
    img.save_with_format(path, image::ImageFormat::Jpeg).expect("write jpeg");
}

/// A digest of every row of every table and every media file: equal digests = the store holds exactly
/// the same data. Read through a separate connection, as another process would see the file. The tables
/// are listed from `sqlite_master` (with the schema itself), so a table added later is covered too.
pub fn fingerprint(path: &Path) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut h = Sha256::new();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("read-only connection");
        let schema = sqlx::query("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .fetch_all(&mut conn)
            .await
            .expect("read the schema");
        let mut tables = Vec::new();
        for row in &schema {
            let (kind, name): (String, String) = (row.get(0), row.get(1));
            let sql: Option<String> = row.get(2);
            h.update(format!("{kind}:{name}:{sql:?};").as_bytes());
            if kind == "table" {
                tables.push(name);
            }
        }
        assert!(tables.len() >= 6, "the store's tables were not found: {tables:?}");
        for table in tables {
            let sql = format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""));
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("dump table");
            // Rows in a canonical order (sorted by content): no table needs a known key.
            let mut dumped: Vec<String> = rows
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| {
                            let v: Option<Vec<u8>> = row.try_get_unchecked(i).ok();
                            format!("{i}:{v:?};")
                        })
                        .collect()
                })
                .collect();
            dumped.sort();
            h.update(format!("{table}:{}", dumped.len()).as_bytes());
            for row in dumped {
                h.update(row.as_bytes());
            }
        }
    });
    let mut media = String::from(path.to_string_lossy());
    media.push_str(".media");
    let mut files: Vec<(String, u64)> = walk(Path::new(&media));
    files.sort();
    h.update(format!("{files:?}").as_bytes());
    hex::encode(h.finalize())
}

fn walk(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                out.push((p.display().to_string(), len));
            }
        }
    }
    out
}
