//! A day's report as the server renders it: two pages, ten 320 px photo thumbnails, Noto Sans CJK SC.
//! Issue 23 wants under a second per report. `cargo bench -p report-pdf`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use report_pdf::{Block, Column, Document, Fonts, Photo, Row, Table, render};

const REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
const SC: u32 = 2;

fn thumbnail(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([((x + seed * 30) % 256) as u8, ((y * 2 + seed * 50) % 256) as u8, ((x ^ y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).expect("encode JPEG");
    out
}

fn report() -> Document {
    let table = |n: usize| Table {
        columns: vec![
            Column { header: "工种".into(), width: 2.0, align_right: false },
            Column { header: "班组".into(), width: 3.0, align_right: false },
            Column { header: "人数".into(), width: 1.0, align_right: true },
            Column { header: "工日".into(), width: 1.0, align_right: true },
            Column { header: "金额（元）".into(), width: 1.5, align_right: true },
        ],
        rows: (0..n)
            .map(|i| Row {
                cells: vec![
                    "钢筋工".into(),
                    format!("第{i}班组（张师傅）"),
                    "6".into(),
                    "5.5".into(),
                    format!("{},{:03}.50", 1 + i % 9, i * 37 % 1000),
                ],
                total: i + 1 == n,
                muted: i % 4 == 1,
            })
            .collect(),
    };
    Document {
        title: "施工日志 3#楼 2026-12-05".into(),
        lang: "zh-CN".into(),
        footer: "施工日志 · 3#楼 · 2026-12-05".into(),
        page_label: "第 {page} 页 / 共 {pages} 页".into(),
        blocks: vec![
            Block::Heading { text: "施工日志".into(), level: 1 },
            Block::Fields(vec![
                ("项目".into(), "滨江花园二期".into()),
                ("工地".into(), "3#楼".into()),
                ("日期".into(), "2026-12-05 星期六".into()),
                ("天气".into(), "上午 晴 / 下午 多云，3–12 ℃".into()),
            ]),
            Block::Heading { text: "劳务".into(), level: 2 },
            Block::Table(table(12)),
            Block::Heading { text: "进度".into(), level: 2 },
            Block::Table(table(6)),
            Block::Photos(
                (0..10)
                    .map(|i| Photo {
                        jpeg: Some(thumbnail(i)),
                        caption: vec![format!("照片 {i} 绑扎钢筋"), "09:12 · 31.2304, 121.4737".into()],
                    })
                    .collect(),
            ),
            Block::Heading { text: "支出".into(), level: 2 },
            Block::Table(table(5)),
            Block::Heading { text: "备注".into(), level: 2 },
            Block::Paragraph {
                text: "三层顶板浇筑C30混凝土 86.5㎥，养护温度不低于5℃。".repeat(4), muted: false
            },
            Block::Signatures(vec!["记录人".into(), "审核人".into()]),
        ],
    }
}

fn bench(c: &mut Criterion) {
    if !Path::new(REGULAR).exists() {
        eprintln!("skipped: {REGULAR} is missing (apt-get install fonts-noto-cjk)");
        return;
    }
    let fonts = Fonts::load(Path::new(REGULAR), SC, Some((Path::new(BOLD), SC))).expect("Noto Sans CJK SC");
    let doc = report();
    let pdf = render(&doc, &fonts).expect("render");
    eprintln!("report: {} bytes", pdf.len());
    c.bench_function("daily report, 2 pages, 10 photos", |b| b.iter(|| render(black_box(&doc), &fonts)));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
