//! `cargo bench -p mobile-core --bench core`: the phone core's hot paths, through the same API the apps
//! call (the UniFFI object, minus the FFI marshalling).
//!
//! - `record_labour_line`: add one crew line to today's sheet, durably (WAL fsynced before return).
//!   Goal: p50 ≤ 1 ms. Besides criterion's estimate, a plain loop prints p50/p90/p99.
//! - `open_year_store`: open a store holding a year of sheets (365 × 50 lines), list the year and
//!   read the latest sheet: what the app does at launch. Goal ≤ 300 ms.
//!
//! The photo ingest benchmark is `--bench photo_ingest`.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;

mod common;
use common::line;

fn sheet(date: NaiveDate) -> NewLabourSheet {
    NewLabourSheet {
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: Some("Asia/Shanghai".into()),
        work_date: date.to_string(),
        currency: None,
        note: None,
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// Adds lines to sheets of 50 (a new sheet every 50 lines, as on a real site) and times each add.
struct LineRecorder {
    store: std::sync::Arc<FieldStore>,
    sheet: String,
    in_sheet: usize,
    n: usize,
}

impl LineRecorder {
    fn new(store: std::sync::Arc<FieldStore>) -> Self {
        LineRecorder { store, sheet: String::new(), in_sheet: 50, n: 0 }
    }

    fn timed_add(&mut self) -> Duration {
        if self.in_sheet == 50 {
            self.sheet = self.store.create_labour_sheet(sheet(today())).expect("sheet").info.id;
            self.in_sheet = 0;
        }
        let l = line(self.n);
        let start = Instant::now();
        self.store.add_crew_line(self.sheet.clone(), l).expect("add line");
        let took = start.elapsed();
        self.in_sheet += 1;
        self.n += 1;
        took
    }
}

/// Times one fsync of a small write in `dir`: the floor under any durable write on that disk.
fn fsync_floor(dir: &std::path::Path) -> Duration {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let mut t: Vec<Duration> = (0..30)
        .map(|_| {
            f.write_all(&[0u8; 4096]).expect("write");
            let start = Instant::now();
            f.sync_data().expect("fsync");
            start.elapsed()
        })
        .collect();
    t.sort();
    let _ = std::fs::remove_file(&path);
    t[t.len() / 2]
}

fn percentiles(label: &str, dir: &std::path::Path) -> LineRecorder {
    let store = FieldStore::open(dir.join("bench.db").display().to_string(), "bench".into()).expect("open");
    let mut rec = LineRecorder::new(store);
    let mut samples: Vec<Duration> = (0..2000).map(|_| rec.timed_add()).collect();
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!(
        "record_labour_line [{label}] (2000 adds, durable): p50 {:?}  p90 {:?}  p99 {:?}  (fsync alone here: p50 {:?}; goal p50 <= 1 ms)",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        fsync_floor(dir),
    );
    rec
}

fn record_labour_line(c: &mut Criterion) {
    // The same code on RAM-backed storage shows the core's own cost, apart from the disk's fsync.
    if std::path::Path::new("/dev/shm").is_dir() {
        let shm = tempfile::tempdir_in("/dev/shm").expect("shm dir");
        percentiles("tmpfs", shm.path());
    }
    let dir = tempfile::tempdir_in(std::env::temp_dir()).expect("dir");
    let mut rec = percentiles("disk", dir.path());

    c.bench_function("record_labour_line", |b| b.iter_custom(|iters| (0..iters).map(|_| rec.timed_add()).sum()));
}

fn open_year_store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("year.db").display().to_string();
    {
        let store = FieldStore::open(path.clone(), "bench".into()).expect("open");
        let first = today().checked_sub_days(Days::new(364)).expect("date");
        let s = store.create_labour_sheet(sheet(first)).expect("sheet");
        for i in 0..50 {
            store.add_crew_line(s.info.id.clone(), line(i)).expect("line");
        }
        // Each next day starts from the previous one, the way foremen work.
        let mut prev = s.info.id;
        for d in 1..365 {
            let date = first.checked_add_days(Days::new(d)).expect("date");
            prev = store.start_sheet_from(prev, date.to_string()).expect("next day").info.id;
        }
        store.close().expect("close");
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("open_year_store: store file {} KiB for 365 sheets × 50 lines", size / 1024);

    let launch = || {
        let store = FieldStore::open(path.clone(), "bench".into()).expect("open");
        let year = store
            .list_records(RecordFilter { kind: Some(RecordKind::LabourSheet), ..Default::default() })
            .expect("list");
        assert_eq!(year.len(), 365);
        let latest = store.get_labour_sheet(year[0].id.clone()).expect("latest");
        assert_eq!(latest.lines.len(), 50);
        store.close().expect("close");
    };
    let start = Instant::now();
    launch();
    println!("open_year_store: first (cold-process) launch {:?} (goal <= 300 ms)", start.elapsed());
    let mut g = c.benchmark_group("open_year_store");
    g.sample_size(20);
    g.bench_function("open+list+latest", |b| b.iter(launch));
    g.finish();
}

criterion_group!(benches, record_labour_line, open_year_store);
criterion_main!(benches);
