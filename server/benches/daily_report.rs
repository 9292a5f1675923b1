//! `cargo bench -p server --bench daily_report`: one day's report with 10 photos, rendered end to end
//! by `daily_reports::pdf::render` as the server does it: the ten 320 px JPEG thumbnails read from a
//! blob store in a temporary folder, the words put together in Chinese, the pages laid out with Noto
//! Sans CJK SC on the blocking pool. Issue 23's target: under 1 s per report. The first render (font
//! files read) is timed once and printed before criterion's runs.
//!
//! Needs Debian's fonts-noto-cjk (else it says so and times nothing).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use server::blobs::{BlobStore, Blobs, FsBlobStore};
use server::daily_reports::model::*;
use server::daily_reports::pdf;
use server::web::i18n::Lang;

/// A 320 × 240 thumbnail with enough texture to compress like a photo (~15–25 KB).
fn thumbnail(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        let n = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed.wrapping_mul(2_654_435_761)) % 64;
        image::Rgb([
            ((x + seed * 40) % 200 + n) as u8,
            ((y * 2 + seed * 25) % 200 + n) as u8,
            (((x ^ y) % 180) + n) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).expect("encode JPEG");
    out
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn sha(i: u32) -> String {
    format!("{i:02x}").repeat(32)
}

fn state(i: usize) -> RecordState {
    [RecordState::Approved, RecordState::Pending, RecordState::Approved, RecordState::ChangedSinceApproval][i % 4]
}

/// A busy day at one site: 8 crews, 4 progress reports with 10 photos between them, 3 expenses, 2
/// issues, visitors, a delay, notes and the 18 records it was made from.
fn report() -> DailyReport {
    let trades = ["木工", "钢筋工", "混凝土工", "瓦工", "架子工", "水电工", "油漆工", "普工"];
    let labour: Vec<LabourRow> = trades
        .iter()
        .enumerate()
        .map(|(i, t)| LabourRow {
            record_id: format!("0193a1b2-0000-7000-8000-{i:012}"),
            state: state(i),
            trade_id: format!("T{i}"),
            trade_name: (*t).into(),
            crew: Some(format!("{}班", ["张建国", "李卫东", "王志强", "刘德华"][i % 4])),
            headcount: 4 + i as i64,
            man_days: Decimal::from(4 + i as i64),
            hours: Decimal::from((4 + i as i64) * 8),
            cost: Decimal::from((4 + i as i64) * 365),
            currency: "CNY".into(),
            cost_code: format!("03-{:03}", 100 + i),
            cost_code_name: "主体结构".into(),
            activity_name: None,
            workers: vec![],
        })
        .collect();
    let headcount: i64 = labour.iter().map(|l| l.headcount).sum();
    let cost: Decimal = labour.iter().map(|l| l.cost).sum();
    let mut n = 0;
    let progress: Vec<ProgressItem> = (0..4)
        .map(|i| {
            let photos = (0..if i < 2 { 3 } else { 2 })
                .map(|_| {
                    n += 1;
                    PhotoItem {
                        sha256: sha(n),
                        thumbnail_sha256: sha(n + 100),
                        captured_at_ms: 1_796_430_300_000 + i64::from(n) * 600_000,
                        latitude: Some(31.230416),
                        longitude: Some(121.473701),
                        caption: (n % 2 == 0).then(|| format!("东侧第{n}轴")),
                        uploaded: true,
                    }
                })
                .collect();
            ProgressItem {
                record_id: format!("0193a1b2-0000-7000-9000-{i:012}"),
                state: state(i),
                activity_id: format!("A{i}"),
                activity_name: ["三层顶板浇筑", "四层墙柱钢筋", "外架搭设", "二层砌体"][i].into(),
                percent: (i % 2 == 0).then(|| Decimal::from(40 + i as i64 * 10)),
                quantity: (i % 2 == 1).then(|| d("36.5")),
                unit: (i % 2 == 1).then(|| "m³".to_string()),
                caption: Some("按计划完成，质量检查合格".into()),
                author: "王建国".into(),
                photos,
            }
        })
        .collect();
    assert_eq!(n, 10, "ten photos");
    let expenses: Vec<ExpenseRow> = (0..3)
        .map(|i| ExpenseRow {
            record_id: format!("0193a1b2-0000-7000-a000-{i:012}"),
            state: state(i),
            category: ["materials", "equipment", "meals"][i].into(),
            category_name: ["materials", "机械租赁", "meals"][i].into(),
            vendor: Some("上海建材有限公司".into()),
            cost_code: "05-04".into(),
            amount: d("1280.50"),
            currency: "CNY".into(),
            note: None,
            receipts: vec![],
        })
        .collect();
    let sources = labour
        .iter()
        .map(|l| (l.record_id.clone(), "labour_sheet", l.state))
        .chain(progress.iter().map(|p| (p.record_id.clone(), "progress_report", p.state)))
        .chain(expenses.iter().map(|e| (e.record_id.clone(), "expense", e.state)))
        .map(|(record_id, kind, state)| SourceRecord {
            record_id,
            kind: kind.into(),
            author: "王建国".into(),
            heads: vec!["a1b2c3d4".into()],
            doc_version: 3,
            state,
            conflicts: 0,
        })
        .collect();
    DailyReport {
        project_id: "P1".into(),
        project_name: "滨江花园二期".into(),
        site_id: "S3".into(),
        site_name: "3#楼".into(),
        date: NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"),
        time_zone: "Asia/Shanghai".into(),
        version: 3,
        generated_at_ms: 1_796_450_400_000,
        foremen: vec!["王建国".into(), "李强".into()],
        weather: Some(Weather {
            am: Some("sunny".into()),
            pm: Some("cloudy".into()),
            low_c: Some(d("3")),
            high_c: Some(d("12")),
            record_id: "dl".into(),
        }),
        labour_total: LabourTotal {
            headcount,
            man_days: Decimal::from(headcount),
            hours: Decimal::from(headcount * 8),
            cost: vec![Amount { currency: "CNY".into(), amount: cost }],
        },
        labour,
        progress,
        expense_totals: vec![Amount { currency: "CNY".into(), amount: d("3841.50") }],
        expenses,
        observations: vec![ObservationRow {
            record_id: "obs1".into(),
            state: RecordState::FollowUp,
            category: "safety".into(),
            severity: "high".into(),
            title: "临边防护缺失".into(),
            description: Some("五层东侧临边栏杆未恢复".into()),
            place: Some("5层 东侧".into()),
            follow_up: "assigned".into(),
            photos: vec![],
        }],
        visitors: vec![VisitorRow {
            name: "陈工".into(),
            organisation: Some("监理公司".into()),
            purpose: Some("钢筋隐蔽验收".into()),
        }],
        delays: vec![DelayRow { cause: "weather".into(), hours: d("1.5"), description: Some("午后小雨".into()) }],
        notes: vec![NoteRow { author: "王建国".into(), text: "混凝土试块 3 组已留置。".into() }],
        sources,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store: Arc<dyn BlobStore> = Arc::new(FsBlobStore::new(dir.path().join("blobs")));
    let blobs = Blobs::new(store.clone(), dir.path(), 1 << 26, std::time::Duration::from_secs(3600)).expect("blobs");
    let report = report();
    let mut bytes = 0;
    for p in report.progress.iter().flat_map(|p| &p.photos) {
        let jpeg = thumbnail(p.captured_at_ms as u32);
        bytes += jpeg.len();
        rt.block_on(store.put(&Blobs::thumbnail_key(&p.sha256), jpeg.into())).expect("put thumbnail");
    }
    pdf::configure(None);
    let start = Instant::now();
    let first = match rt.block_on(pdf::render(&blobs, &report, Lang::ZhCn)) {
        Ok(pdf) => pdf,
        Err(e) => {
            eprintln!("SKIPPED daily_report bench: {e}");
            return;
        }
    };
    println!(
        "first render (fonts read): {:.1} ms, {} KB PDF from 10 thumbnails of {} KB",
        start.elapsed().as_secs_f64() * 1000.0,
        first.len() / 1024,
        bytes / 1024
    );
    let mut g = c.benchmark_group("daily_report");
    g.sample_size(20);
    for lang in [Lang::ZhCn, Lang::En] {
        g.bench_function(format!("render_10_photos_{}", lang.tag()), |b| {
            b.iter(|| rt.block_on(pdf::render(&blobs, black_box(&report), lang)).expect("render"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
