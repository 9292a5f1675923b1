//! Renders real documents with Noto Sans CJK and reads them back with poppler (pdftotext, pdfinfo, pdfimages),
//! so what is asserted is what a reader of the PDF gets. Pages are also rendered to PNG under
//! target/report-pdf-test/ for a look.

use std::path::{Path, PathBuf};
use std::process::Command;

use report_pdf::{Block, Column, Document, Fonts, PdfError, Photo, Row, Table, render};

const REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
/// "Noto Sans CJK SC" in Debian's collections (`fc-query -f '%{index} %{family}\n' FILE`).
const SC: u32 = 2;

fn fonts() -> Option<Fonts> {
    if !Path::new(REGULAR).exists() {
        eprintln!("skipped: {REGULAR} is missing (apt-get install fonts-noto-cjk)");
        return None;
    }
    let bold = Path::new(BOLD).exists().then_some((Path::new(BOLD), SC));
    Some(Fonts::load(Path::new(REGULAR), SC, bold).expect("Noto Sans CJK SC loads"))
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/report-pdf-test");
    std::fs::create_dir_all(&dir).expect("create target/report-pdf-test");
    dir
}

fn write(name: &str, pdf: &[u8]) -> PathBuf {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write the PDF");
    path
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("run {cmd} (poppler-utils): {e}"));
    assert!(out.status.success(), "{cmd} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn text_of(pdf: &Path, page: Option<usize>) -> String {
    let path = pdf.to_str().expect("utf-8 path");
    match page {
        Some(p) => {
            let p = p.to_string();
            run("pdftotext", &["-layout", "-f", &p, "-l", &p, path, "-"])
        }
        None => run("pdftotext", &["-layout", path, "-"]),
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect()
}

fn pages_of(pdf: &Path) -> usize {
    let info = run("pdfinfo", &[pdf.to_str().expect("utf-8 path")]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo output:\n{info}"))
}

fn png(pdf: &Path) {
    let prefix = pdf.with_extension("");
    run("pdftoppm", &["-r", "60", "-png", pdf.to_str().expect("utf-8 path"), prefix.to_str().expect("utf-8 path")]);
}

/// A gradient JPEG, `w`×`h`, as a phone's thumbnail would be.
fn jpeg(w: u32, h: u32, blue: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, blue.wrapping_add(((x / 40 + y / 40) % 2) as u8 * 60)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).expect("encode JPEG");
    out
}

fn labour_table(rows: usize) -> Table {
    let columns = vec![
        Column { header: "工种 Trade".into(), width: 2.0, align_right: false },
        Column { header: "班组 Crew".into(), width: 3.0, align_right: false },
        Column { header: "人数 Headcount".into(), width: 1.2, align_right: true },
        Column { header: "工日 Man-days".into(), width: 1.2, align_right: true },
        Column { header: "金额 Amount".into(), width: 1.6, align_right: true },
    ];
    let mut body: Vec<Row> = (0..rows)
        .map(|i| Row {
            cells: vec![
                if i % 2 == 0 { "钢筋工".into() } else { "Formwork carpenter".into() },
                format!("第{}班组 crew {i}（张师傅）", i + 1),
                format!("{}", 5 + i % 7),
                format!("{}.5", 4 + i % 6),
                format!("{},{:03}.50", 1 + i % 9, (i * 37) % 1000),
            ],
            total: false,
            muted: i % 5 == 3,
        })
        .collect();
    body.push(Row {
        cells: vec!["合计 Total".into(), String::new(), "36".into(), "31.5".into(), "1,234.50".into()],
        total: true,
        muted: false,
    });
    Table { columns, rows: body }
}

fn full_document(photos: Vec<Photo>) -> Document {
    Document {
        title: "施工日志 3#楼 2026-12-05".into(),
        lang: "zh-CN".into(),
        footer: "施工日志 · 3#楼 · 2026-12-05".into(),
        page_label: "第 {page} 页 / 共 {pages} 页".into(),
        blocks: vec![
            Block::Heading { text: "施工日志 / Daily site report".into(), level: 1 },
            Block::Fields(vec![
                ("项目 Project".into(), "滨江花园二期 Riverside Garden phase II".into()),
                ("工地 Site".into(), "3#楼".into()),
                ("日期 Date".into(), "2026-12-05 星期六".into()),
                ("天气 Weather".into(), "上午 晴 / 下午 多云，3–12 ℃".into()),
                ("班组长 Foremen".into(), "王建国、李卫 (Li Wei)".into()),
                ("版本 Version".into(), "v2 · 生成于 18:30 北京时间".into()),
            ]),
            Block::Heading { text: "劳务 Labour".into(), level: 2 },
            Block::Table(labour_table(4)),
            Block::Heading { text: "进度 Progress".into(), level: 2 },
            Block::Paragraph {
                text:
                    "三层顶板浇筑C30混凝土 86.5㎥，养护温度不低于5℃；外墙抹灰 420㎡ 完成——剩余部分（北立面）明日继续。\
                       Pouring of the third-floor slab finished at 16:40 · curing blankets laid; \
                       supercalifragilisticexpialidocious-reinforcement-schedule-revision-number-seventeen-b.\n\
                       第二段：新的一行。"
                        .into(),
                muted: false,
            },
            Block::Photos(photos),
            Block::Heading { text: "延误 Delays".into(), level: 2 },
            Block::Paragraph { text: "无 None".into(), muted: true },
            Block::Signatures(vec!["记录人".into(), "审核人".into()]),
        ],
    }
}

#[test]
fn every_block_kind_in_chinese_and_english() {
    let Some(fonts) = fonts() else { return };
    let photos = vec![
        Photo {
            jpeg: Some(jpeg(320, 240, 40)),
            caption: vec!["绑扎钢筋 Rebar tying".into(), "09:12 · 31.2304, 121.4737".into()],
        },
        Photo { jpeg: Some(jpeg(240, 320, 160)), caption: vec!["竖向照片 Portrait".into()] },
        Photo {
            jpeg: Some(b"\xFF\xD8\xFF\xE0 not really a jpeg".to_vec()), caption: vec!["损坏的图片 Broken".into()]
        },
        Photo { jpeg: None, caption: vec!["未上传 Not uploaded yet".into()] },
    ];
    let pdf = render(&full_document(photos), &fonts).expect("render");
    let path = write("full", &pdf);
    png(&path);

    // pdftotext drops or adds spaces around CJK as it sees fit: compare without whitespace.
    let text = squash(&text_of(&path, None));
    for expected in [
        "施工日志 / Daily site report",
        "滨江花园二期",
        "3–12 ℃",
        "钢筋工",
        "1,234.50",
        "合计 Total",
        "86.5㎥",
        "5℃",
        "420㎡",
        "（北立面）",
        "第二段：新的一行。",
        "绑扎钢筋 Rebar tying",
        "31.2304, 121.4737",
        "损坏的图片 Broken",
        "未上传 Not uploaded yet",
        "记录人：",
        "审核人：",
        "日期：",
        "施工日志 · 3#楼 · 2026-12-05",
        "第 1 页 / 共 2 页",
        "第 2 页 / 共 2 页",
        // The long word was broken (it is wider than the page) and nothing of it lost.
        "supercalifragilisticexpialidocious-reinforcement-schedule-revision-number-seventeen-b.",
    ] {
        assert!(text.contains(&squash(expected)), "{expected:?} missing from the PDF's text:\n{text}");
    }
    // The signatures do not fit below the delays section: they move whole to page 2.
    assert_eq!(pages_of(&path), 2);
    assert!(squash(&text_of(&path, Some(2))).contains("记录人："));

    // Two photos embedded as JPEG (DCT) as they were; the broken one and the missing one are placeholders.
    let images = run("pdfimages", &["-list", path.to_str().expect("utf-8 path")]);
    let jpegs: Vec<&str> = images.lines().filter(|l| l.contains("jpeg")).collect();
    assert_eq!(jpegs.len(), 2, "pdfimages -list:\n{images}");

    let info = run("pdfinfo", &[path.to_str().expect("utf-8 path")]);
    assert!(info.contains("施工日志 3#楼 2026-12-05"), "title missing:\n{info}");
    // The font is subset: far smaller than the 19 MB collection.
    assert!(pdf.len() < 400_000, "PDF is {} bytes", pdf.len());
}

#[test]
fn long_table_repeats_its_header_on_every_page() {
    let Some(fonts) = fonts() else { return };
    let doc = Document {
        title: "Long".into(),
        lang: "en".into(),
        footer: "Daily site report · Block 3 · 2026-12-05".into(),
        page_label: "Page {page} of {pages}".into(),
        blocks: vec![
            Block::Heading { text: "Labour 劳务".into(), level: 2 },
            Block::Table(labour_table(300)),
            Block::Signatures(vec!["Recorded by".into(), "Reviewed by".into()]),
        ],
    };
    let pdf = render(&doc, &fonts).expect("render");
    let path = write("long-table", &pdf);
    png(&path);
    let pages = pages_of(&path);
    assert!(pages >= 5, "300 rows on {pages} pages");
    for page in 2..=pages {
        let text = text_of(&path, Some(page));
        for header in ["工种 Trade", "班组 Crew", "金额 Amount"] {
            assert!(text.contains(header), "page {page} lacks the header {header:?}:\n{text}");
        }
        assert!(text.contains(&format!("Page {page} of {pages}")), "page {page} footer:\n{text}");
    }
    let last = text_of(&path, Some(pages));
    assert!(last.contains("1,234.50") && last.contains("Recorded by:") && last.contains("Date:"), "{last}");
    // Every row is there once: rows are moved whole, never dropped or repeated.
    let all = text_of(&path, None);
    for i in [0, 1, 150, 298, 299] {
        assert_eq!(all.matches(&format!("crew {i}（")).count(), 1, "row {i}");
    }
}

#[test]
fn a_heading_stays_with_what_follows_it() {
    let Some(fonts) = fonts() else { return };
    // Push the heading towards the page bottom by one line at a time: it must never end a page alone.
    for filler in 44..60 {
        let doc = Document {
            title: "Keep".into(),
            lang: "en".into(),
            blocks: vec![
                Block::Paragraph { text: vec!["filler line"; filler].join("\n"), muted: false },
                Block::Heading { text: "Expenses heading".into(), level: 2 },
                Block::Table(Table {
                    columns: vec![Column { header: "Item".into(), width: 1.0, align_right: false }],
                    rows: vec![Row { cells: vec!["first row".into()], ..Row::default() }],
                }),
            ],
            ..Document::default()
        };
        let path = write("keep", &render(&doc, &fonts).expect("render"));
        let pages = pages_of(&path);
        let page_of = |needle: &str| {
            (1..=pages).find(|p| text_of(&path, Some(*p)).contains(needle)).expect("text present on some page")
        };
        assert_eq!(page_of("Expenses heading"), page_of("first row"), "filler {filler}");
        assert_eq!(page_of("Expenses heading"), page_of("Item"), "filler {filler}");
    }
}

#[test]
fn a_row_taller_than_a_page_is_split() {
    let Some(fonts) = fonts() else { return };
    let tall: String = (0..120).map(|i| format!("第{i}行 line {i}")).collect::<Vec<_>>().join("\n");
    let doc = Document {
        blocks: vec![Block::Table(Table {
            columns: vec![
                Column { header: "Notes 备注".into(), width: 3.0, align_right: false },
                Column { header: "Qty".into(), width: 1.0, align_right: true },
            ],
            rows: vec![Row { cells: vec![tall, "7".into()], ..Row::default() }],
        })],
        ..Document::default()
    };
    let path = write("tall-row", &render(&doc, &fonts).expect("render"));
    assert!(pages_of(&path) >= 2);
    let all = text_of(&path, None);
    for i in [0, 59, 119] {
        assert!(all.contains(&format!("第{i}行 line {i}")), "line {i} lost:\n{all}");
    }
    assert!(text_of(&path, Some(2)).contains("Notes 备注"), "header repeated on page 2");
}

#[test]
fn too_many_pages_is_an_error_naming_the_limit() {
    let Some(fonts) = fonts() else { return };
    let doc = Document {
        blocks: vec![Block::Paragraph { text: "行\n".repeat(40_000), muted: false }],
        ..Document::default()
    };
    match render(&doc, &fonts) {
        Err(PdfError::Write(msg)) => assert!(msg.contains("500 pages"), "{msg}"),
        other => panic!("expected the page limit, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn fonts_load_errors_name_the_file() {
    let missing = Fonts::load(Path::new("/nonexistent/fonts/NotoSansCJK-Regular.ttc"), 2, None);
    let err = missing.expect_err("missing file").to_string();
    assert!(err.contains("/nonexistent/fonts/NotoSansCJK-Regular.ttc"), "{err}");

    let not_a_font = out_dir().join("not-a-font.ttf");
    std::fs::write(&not_a_font, b"plain text, not a font").expect("write");
    let err = Fonts::load(&not_a_font, 0, None).expect_err("not a font").to_string();
    assert!(err.contains("not-a-font.ttf"), "{err}");

    if Path::new(REGULAR).exists() {
        let err = Fonts::load(Path::new(REGULAR), 42, None).expect_err("no face 42").to_string();
        assert!(err.contains(REGULAR) && err.contains("42"), "{err}");
    }
}

#[test]
fn fonts_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Fonts>();
    let Some(fonts) = fonts() else { return };
    let fonts = std::sync::Arc::new(fonts);
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let fonts = fonts.clone();
            std::thread::spawn(move || {
                let doc = Document {
                    blocks: vec![Block::Paragraph { text: format!("线程 thread {i}"), muted: false }],
                    ..Document::default()
                };
                render(&doc, &fonts).expect("render")
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let pdf = h.join().expect("thread");
        let text = text_of(&write(&format!("thread-{i}"), &pdf), None);
        assert!(text.contains(&format!("线程 thread {i}")), "{text}");
    }
}

#[test]
fn an_empty_document_is_one_page_with_its_footer() {
    let Some(fonts) = fonts() else { return };
    let doc = Document { footer: "空 empty".into(), ..Document::default() };
    let path = write("empty", &render(&doc, &fonts).expect("render"));
    assert_eq!(pages_of(&path), 1);
    let text = squash(&text_of(&path, None));
    assert!(text.contains("空empty") && text.contains("1/1"), "{text}");
}
