//! A daily report in words, and as a PDF (crate `report-pdf`).
//!
//! [`words`] puts a [`DailyReport`] into English or Chinese once: the header fields, then the
//! sections in the contract's order (labour, progress with its photos, expenses, issues, visitors,
//! delays, notes, the records it was made from), each a table, a photo grid or the muted "none"
//! (so a reader knows a section was not forgotten), then the signature lines. The printable page
//! (`web/daily_reports.rs`) shows exactly these words as HTML; [`render`] lays them out as A4 pages
//! with the photos' 320 px thumbnails embedded as they are (never the originals).
//!
//! Figures are written as the screens write them (`web::format`): money per currency with its
//! sign, 工日 and hours to two decimals at most, times in the site's zone ("北京时间" for
//! Asia/Shanghai). Rows of records that are not approved are muted and carry their state.
//!
//! Fonts: one CJK font draws everything. `configure` (called by main.rs with `--report-font` /
//! `FIELDLEDGER_REPORT_FONT`) or, by default, Noto Sans CJK SC from Debian's fonts-noto-cjk; read
//! once and kept (a failed search is tried again on the next render, so installing the package
//! needs no restart).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, Weekday};
use report_pdf::{Block, Column, Document, Fonts, Photo, Row, Table};
use rust_decimal::Decimal;

use super::model::{Amount, DailyReport, PhotoItem, RecordState};
use crate::blobs::Blobs;
use crate::web::format::{grouped, money_code};
use crate::web::i18n::Lang;

/// Why no PDF could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfFailure {
    /// No usable font: the message names what was tried and how to fix it.
    NoFont(String),
    Render(String),
}

impl std::fmt::Display for PdfFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfFailure::NoFont(m) => write!(f, "no font for the PDF: {m}"),
            PdfFailure::Render(m) => write!(f, "the PDF could not be made: {m}"),
        }
    }
}

impl std::error::Error for PdfFailure {}

/// Debian's fonts-noto-cjk; in its collections face 2 is "Noto Sans CJK SC" (`fc-query -f
/// '%{index} %{family}\n' FILE`), the simplified-Chinese glyph forms.
const DEFAULT_REGULAR: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const DEFAULT_BOLD: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc";
const NOTO_SC_FACE: u32 = 2;

static CONFIGURED: OnceLock<Option<PathBuf>> = OnceLock::new();
static FONTS: OnceLock<Fonts> = OnceLock::new();

/// The font to use instead of the default search (a `.ttf`, `.otf` or `.ttc`; `FILE.ttc#N` picks
/// face N of a collection). Call once at startup, before the first render.
pub fn configure(font: Option<PathBuf>) {
    let _ = CONFIGURED.set(font);
}

/// `FILE#N` → (FILE, N); a Noto Sans CJK collection without `#N` → its SC face; else face 0.
fn face_of(path: &Path) -> (PathBuf, u32) {
    let text = path.to_string_lossy();
    if let Some((file, n)) = text.rsplit_once('#')
        && let Ok(n) = n.parse::<u32>()
    {
        return (PathBuf::from(file), n);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let index = if name.starts_with("NotoSansCJK-") && name.ends_with(".ttc") { NOTO_SC_FACE } else { 0 };
    (path.to_path_buf(), index)
}

/// A bold face beside a regular one (`…-Regular.…` → `…-Bold.…`), when it exists.
fn bold_beside(regular: &Path) -> Option<PathBuf> {
    let name = regular.file_name()?.to_string_lossy().to_string();
    let bold = name.contains("Regular").then(|| regular.with_file_name(name.replace("Regular", "Bold")))?;
    bold.is_file().then_some(bold)
}

fn load_fonts() -> Result<Fonts, PdfFailure> {
    let configured = CONFIGURED.get().cloned().flatten();
    let (regular, index) = match &configured {
        Some(p) => face_of(p),
        None => (PathBuf::from(DEFAULT_REGULAR), NOTO_SC_FACE),
    };
    if !regular.is_file() {
        let what = match configured {
            Some(_) => format!("the report font {} does not exist", regular.display()),
            None => format!("{} is not installed", regular.display()),
        };
        return Err(PdfFailure::NoFont(format!(
            "{what}; install Debian's fonts-noto-cjk or pass --report-font FILE (FIELDLEDGER_REPORT_FONT)"
        )));
    }
    let bold = match configured {
        Some(_) => bold_beside(&regular).map(|b| (b, index)),
        None => Some(PathBuf::from(DEFAULT_BOLD)).filter(|b| b.is_file()).map(|b| (b, NOTO_SC_FACE)),
    };
    let bold_ref = bold.as_ref().map(|(p, i)| (p.as_path(), *i));
    match Fonts::load(&regular, index, bold_ref) {
        Ok(f) => Ok(f),
        // A broken bold face should not cost the document: regular only.
        Err(_) if bold.is_some() => {
            Fonts::load(&regular, index, None).map_err(|e| PdfFailure::NoFont(format!("{e}; pass --report-font FILE")))
        }
        Err(e) => Err(PdfFailure::NoFont(format!("{e}; pass --report-font FILE"))),
    }
}

/// The fonts, read on first use and kept.
fn fonts() -> Result<&'static Fonts, PdfFailure> {
    if let Some(f) = FONTS.get() {
        return Ok(f);
    }
    let loaded = load_fonts()?;
    Ok(FONTS.get_or_init(|| loaded))
}

/// Whether a font for the PDF is there (reads it if not read yet).
pub fn font_available() -> Result<(), PdfFailure> {
    fonts().map(drop)
}

// ---------- the report in words ----------

/// A table as both outputs draw it; `record` links a row to its record on the page.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub columns: Vec<Column>,
    pub rows: Vec<GridRow>,
}

#[derive(Debug, Clone, Default)]
pub struct GridRow {
    pub cells: Vec<String>,
    pub total: bool,
    /// A record not approved (yet, or any more): grey, with its state in a cell.
    pub muted: bool,
    pub record: Option<String>,
}

/// A photo with the lines under it.
#[derive(Debug, Clone)]
pub struct PhotoCard {
    pub sha256: String,
    pub uploaded: bool,
    pub caption: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Part {
    Table(Grid),
    Photos(Vec<PhotoCard>),
    /// A section with nothing in it: one muted line.
    Nothing(String),
}

#[derive(Debug, Clone)]
pub struct Section {
    /// Stable id (`labour`, `progress`…): the page's anchors and tests.
    pub id: &'static str,
    pub heading: String,
    pub parts: Vec<Part>,
}

/// Everything the report says, in one language.
#[derive(Debug, Clone)]
pub struct Words {
    pub title: String,
    pub lang: Lang,
    pub fields: Vec<(String, String)>,
    /// Said under the header when some records are not approved.
    pub notice: Option<String>,
    pub sections: Vec<Section>,
    pub signatures: Vec<String>,
    pub footer: String,
    pub page_label: String,
}

pub fn state_word(state: RecordState, lang: Lang) -> &'static str {
    lang.t(match state {
        RecordState::Pending => "pending",
        RecordState::Approved => "approved",
        RecordState::ChangedSinceApproval => "changed_since_approval",
        RecordState::Rejected => "rejected",
        RecordState::FollowUp => "dr_state_recorded",
    })
}

/// Rows not approved are grey: waiting for a decision, changed since, or rejected. Observations are
/// not approved but followed up, so they are not.
pub fn muted(state: RecordState) -> bool {
    !matches!(state, RecordState::Approved | RecordState::FollowUp)
}

fn weekday_key(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "dr_wd_mon",
        Weekday::Tue => "dr_wd_tue",
        Weekday::Wed => "dr_wd_wed",
        Weekday::Thu => "dr_wd_thu",
        Weekday::Fri => "dr_wd_fri",
        Weekday::Sat => "dr_wd_sat",
        Weekday::Sun => "dr_wd_sun",
    }
}

/// `2026-12-05 星期六` / `2026-12-05 Saturday`.
pub fn date_words(d: chrono::NaiveDate, lang: Lang) -> String {
    format!("{d} {}", lang.t(weekday_key(d.weekday())))
}

/// 工日 and hours as the screens print them: at most two decimals, grouped, no trailing zeros.
pub fn quantity(d: Decimal) -> String {
    grouped(d.round_dp(2).normalize())
}

/// Sums per currency, `CN¥1,200.00 + US$30.00`; `—` for none.
fn amounts(list: &[Amount], lang: Lang) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter().map(|a| money_code(a.amount, &a.currency, lang)).collect::<Vec<_>>().join(" + ")
}

fn temperature(d: Decimal) -> String {
    d.round_dp(1).normalize().to_string()
}

fn weather_words(r: &DailyReport, lang: Lang) -> String {
    let Some(w) = &r.weather else { return lang.t("dr_no_weather").to_string() };
    let cond = |k: &Option<String>| {
        k.as_deref()
            .and_then(record_schema::WeatherCondition::parse)
            .map(|c| lang.t(crate::web::record::weather_key(c)))
    };
    let mut parts = Vec::new();
    if let Some(am) = cond(&w.am) {
        parts.push(format!("{} {am}", lang.t("dr_weather_am")));
    }
    if let Some(pm) = cond(&w.pm) {
        parts.push(format!("{} {pm}", lang.t("dr_weather_pm")));
    }
    match (w.low_c, w.high_c) {
        (Some(l), Some(h)) => {
            parts.push(lang.t("dr_temp_range").replace("{low}", &temperature(l)).replace("{high}", &temperature(h)))
        }
        (Some(t), None) | (None, Some(t)) => parts.push(lang.t("dr_temp_one").replace("{t}", &temperature(t))),
        (None, None) => {}
    }
    if parts.is_empty() { lang.t("dr_no_weather").to_string() } else { parts.join(lang.t("dr_list_sep")) }
}

/// An instant in the site's zone, without the date when it is the report's day (`14:05 北京时间`).
fn time_of_day(ms: i64, r: &DailyReport, lang: Lang) -> String {
    let when = crate::web::history::when(ms, &r.time_zone, lang);
    let day = format!("{} ", r.date);
    when.strip_prefix(&day).map_or_else(|| when.clone(), str::to_string)
}

fn photo_cards(photos: &[PhotoItem], fallback: &str, r: &DailyReport, lang: Lang) -> Vec<PhotoCard> {
    photos
        .iter()
        .map(|p| {
            let mut caption = Vec::new();
            let text = p.caption.as_deref().filter(|c| !c.trim().is_empty()).unwrap_or(fallback);
            if !text.is_empty() {
                caption.push(text.to_string());
            }
            caption.push(time_of_day(p.captured_at_ms, r, lang));
            caption.push(match (p.latitude, p.longitude) {
                (Some(lat), Some(lon)) => format!("{lat:.4}, {lon:.4}"),
                _ => lang.t("dr_photo_no_place").to_string(),
            });
            if !p.uploaded {
                caption.push(lang.t("dr_photo_not_uploaded").to_string());
            }
            PhotoCard { sha256: p.sha256.clone(), uploaded: p.uploaded, caption }
        })
        .collect()
}

fn col(lang: Lang, key: &'static str, width: f32, right: bool) -> Column {
    Column { header: lang.t(key).to_string(), width, align_right: right }
}

fn row(cells: Vec<String>, state: RecordState, record: &str) -> GridRow {
    GridRow { cells, total: false, muted: muted(state), record: Some(record.to_string()) }
}

fn section(id: &'static str, heading: &'static str, lang: Lang, grid: Grid) -> Section {
    let parts =
        if grid.rows.is_empty() { vec![Part::Nothing(lang.t("dr_none").to_string())] } else { vec![Part::Table(grid)] };
    Section { id, heading: lang.t(heading).to_string(), parts }
}

fn code_words(code: &str, name: &str) -> String {
    if name.is_empty() || name == code { code.to_string() } else { format!("{code} {name}") }
}

/// The record id's last 8 characters: ids are UUIDv7, whose first digits are the creation time and
/// alike for a day's records; the random tail tells them apart.
pub fn short_id(id: &str) -> &str {
    id.len().checked_sub(8).and_then(|start| id.get(start..)).unwrap_or(id)
}

/// The report in `lang`, section by section.
pub fn words(r: &DailyReport, lang: Lang) -> Words {
    let t = |k: &'static str| lang.t(k).to_string();
    let sep = lang.t("dr_list_sep");
    let pending = r.sources.iter().filter(|s| s.state.awaits_decision()).count();
    let greyed = r.sources.iter().any(|s| muted(s.state));
    let counts = if pending == 0 {
        t("dr_counts_all_approved").replace("{n}", &r.sources.len().to_string())
    } else {
        t("dr_counts_words").replace("{n}", &r.sources.len().to_string()).replace("{p}", &pending.to_string())
    };
    let generated =
        t("dr_generated").replace("{when}", &crate::web::history::when(r.generated_at_ms, &r.time_zone, lang));
    let fields = vec![
        (t("dr_project"), r.project_name.clone()),
        (t("dr_site"), r.site_name.clone()),
        (t("dr_date"), date_words(r.date, lang)),
        (t("dr_foremen"), if r.foremen.is_empty() { "—".into() } else { r.foremen.join(sep) }),
        (t("dr_weather"), weather_words(r, lang)),
        (
            t("dr_version"),
            t("dr_version_line")
                .replace("{version}", &t("dr_version_n").replace("{n}", &r.version.to_string()))
                .replace("{generated}", &generated),
        ),
        (t("dr_counts"), counts),
    ];

    let mut sections = Vec::new();

    // Labour by trade and crew, with the day's total.
    let mut labour = Grid {
        columns: vec![
            col(lang, "dr_col_trade", 1.3, false),
            col(lang, "dr_col_crew", 1.3, false),
            col(lang, "dr_col_headcount", 0.7, true),
            col(lang, "dr_col_man_days", 0.8, true),
            col(lang, "dr_col_hours", 0.8, true),
            col(lang, "dr_col_cost", 1.3, true),
            col(lang, "dr_col_cost_code", 1.5, false),
            col(lang, "dr_col_state", 1.0, false),
        ],
        rows: r
            .labour
            .iter()
            .map(|l| {
                row(
                    vec![
                        l.trade_name.clone(),
                        l.crew.clone().unwrap_or_default(),
                        l.headcount.to_string(),
                        quantity(l.man_days),
                        quantity(l.hours),
                        money_code(l.cost, &l.currency, lang),
                        code_words(&l.cost_code, &l.cost_code_name),
                        state_word(l.state, lang).to_string(),
                    ],
                    l.state,
                    &l.record_id,
                )
            })
            .collect(),
    };
    if !labour.rows.is_empty() {
        let tot = &r.labour_total;
        labour.rows.push(GridRow {
            cells: vec![
                t("dr_total"),
                String::new(),
                tot.headcount.to_string(),
                quantity(tot.man_days),
                quantity(tot.hours),
                amounts(&tot.cost, lang),
                String::new(),
                String::new(),
            ],
            total: true,
            muted: false,
            record: None,
        });
    }
    sections.push(section("labour", "dr_sec_labour", lang, labour));

    // Progress per activity, then every photo of it.
    let progress = Grid {
        columns: vec![
            col(lang, "dr_col_activity", 1.6, false),
            col(lang, "dr_col_progress", 1.2, true),
            col(lang, "dr_col_caption", 2.2, false),
            col(lang, "dr_col_by", 0.9, false),
            col(lang, "dr_col_state", 1.0, false),
        ],
        rows: r
            .progress
            .iter()
            .map(|p| {
                let done = match (p.percent, p.quantity) {
                    (Some(pc), _) => t("dr_percent_done").replace("{p}", &quantity(pc)),
                    (None, Some(q)) => t("dr_quantity_done")
                        .replace("{q}", &quantity(q))
                        .replace("{unit}", p.unit.as_deref().unwrap_or_default()),
                    (None, None) => "—".into(),
                };
                row(
                    vec![
                        p.activity_name.clone(),
                        done,
                        p.caption.clone().unwrap_or_default(),
                        p.author.clone(),
                        state_word(p.state, lang).to_string(),
                    ],
                    p.state,
                    &p.record_id,
                )
            })
            .collect(),
    };
    let mut s = section("progress", "dr_sec_progress", lang, progress);
    let photos: Vec<PhotoCard> =
        r.progress.iter().flat_map(|p| photo_cards(&p.photos, &p.activity_name, r, lang)).collect();
    if !photos.is_empty() {
        s.parts.push(Part::Photos(photos));
    }
    sections.push(s);

    // Expenses with their totals per currency, and the receipts.
    let mut expenses = Grid {
        columns: vec![
            col(lang, "dr_col_category", 1.2, false),
            col(lang, "dr_col_vendor", 1.3, false),
            col(lang, "dr_col_cost_code", 1.0, false),
            col(lang, "dr_col_amount", 1.2, true),
            col(lang, "dr_col_note", 1.6, false),
            col(lang, "dr_col_state", 1.0, false),
        ],
        rows: r
            .expenses
            .iter()
            .map(|e| {
                let name = (e.category_name != e.category).then_some(e.category_name.as_str());
                row(
                    vec![
                        crate::web::record::category_words(&e.category, name, lang),
                        e.vendor.clone().unwrap_or_default(),
                        e.cost_code.clone(),
                        money_code(e.amount, &e.currency, lang),
                        e.note.clone().unwrap_or_default(),
                        state_word(e.state, lang).to_string(),
                    ],
                    e.state,
                    &e.record_id,
                )
            })
            .collect(),
    };
    if !expenses.rows.is_empty() {
        expenses.rows.push(GridRow {
            cells: vec![
                t("dr_total"),
                String::new(),
                String::new(),
                amounts(&r.expense_totals, lang),
                String::new(),
                String::new(),
            ],
            total: true,
            muted: false,
            record: None,
        });
    }
    let mut s = section("expenses", "dr_sec_expenses", lang, expenses);
    let receipts: Vec<PhotoCard> = r
        .expenses
        .iter()
        .flat_map(|e| {
            let name = (e.category_name != e.category).then_some(e.category_name.as_str());
            photo_cards(&e.receipts, &crate::web::record::category_words(&e.category, name, lang), r, lang)
        })
        .collect();
    if !receipts.is_empty() {
        s.parts.push(Part::Photos(receipts));
    }
    sections.push(s);

    // Issues (observations) with their follow-up, and their photos.
    let observations = Grid {
        columns: vec![
            col(lang, "dr_col_type", 0.9, false),
            col(lang, "dr_col_severity", 0.8, false),
            col(lang, "dr_col_issue", 2.6, false),
            col(lang, "dr_col_follow_up", 0.9, false),
            col(lang, "dr_col_state", 1.0, false),
        ],
        rows: r
            .observations
            .iter()
            .map(|o| {
                let category = record_schema::ObservationCategory::parse(&o.category)
                    .map_or_else(|| o.category.clone(), |c| t(crate::web::record::observation_category_key(c)));
                let severity = record_schema::Severity::parse(&o.severity)
                    .map_or_else(|| o.severity.clone(), |s| t(crate::web::record::severity_key(s)));
                let mut issue = o.title.clone();
                for extra in [&o.place, &o.description].into_iter().flatten().filter(|x| !x.trim().is_empty()) {
                    issue.push_str(&format!("{sep}{extra}"));
                }
                let follow = match o.follow_up.as_str() {
                    "open" => t("obs_st_open"),
                    "assigned" => t("obs_st_assigned"),
                    "closed" => t("obs_st_closed"),
                    other => other.to_string(),
                };
                row(
                    vec![category, severity, issue, follow, state_word(o.state, lang).to_string()],
                    o.state,
                    &o.record_id,
                )
            })
            .collect(),
    };
    let mut s = section("observations", "dr_sec_observations", lang, observations);
    let photos: Vec<PhotoCard> =
        r.observations.iter().flat_map(|o| photo_cards(&o.photos, &o.title, r, lang)).collect();
    if !photos.is_empty() {
        s.parts.push(Part::Photos(photos));
    }
    sections.push(s);

    let visitors = Grid {
        columns: vec![
            col(lang, "dr_col_name", 1.0, false),
            col(lang, "dr_col_organisation", 1.5, false),
            col(lang, "dr_col_purpose", 2.0, false),
        ],
        rows: r
            .visitors
            .iter()
            .map(|v| GridRow {
                cells: vec![
                    v.name.clone(),
                    v.organisation.clone().unwrap_or_default(),
                    v.purpose.clone().unwrap_or_default(),
                ],
                ..GridRow::default()
            })
            .collect(),
    };
    sections.push(section("visitors", "dr_sec_visitors", lang, visitors));

    let delays = Grid {
        columns: vec![
            col(lang, "dr_col_cause", 1.0, false),
            col(lang, "dr_col_hours", 0.6, true),
            col(lang, "dr_col_description", 3.0, false),
        ],
        rows: r
            .delays
            .iter()
            .map(|d| GridRow {
                cells: vec![
                    record_schema::DelayCause::parse(&d.cause)
                        .map_or_else(|| d.cause.clone(), |c| t(crate::web::record::delay_cause_key(c))),
                    t("dr_hours_n").replace("{h}", &quantity(d.hours)),
                    d.description.clone().unwrap_or_default(),
                ],
                ..GridRow::default()
            })
            .collect(),
    };
    sections.push(section("delays", "dr_sec_delays", lang, delays));

    let notes = Grid {
        columns: vec![col(lang, "dr_col_author", 0.8, false), col(lang, "dr_col_note", 4.0, false)],
        rows: r
            .notes
            .iter()
            .map(|n| GridRow { cells: vec![n.author.clone(), n.text.clone()], ..GridRow::default() })
            .collect(),
    };
    sections.push(section("notes", "dr_sec_notes", lang, notes));

    let records = Grid {
        columns: vec![
            col(lang, "dr_col_record", 1.0, false),
            col(lang, "dr_col_kind", 1.2, false),
            col(lang, "dr_col_author", 1.0, false),
            col(lang, "dr_col_state", 1.8, false),
        ],
        rows: r
            .sources
            .iter()
            .map(|s| {
                let mut state = state_word(s.state, lang).to_string();
                if s.conflicts > 0 {
                    state.push_str(&format!("{sep}{}", t("dr_conflicts_n").replace("{n}", &s.conflicts.to_string())));
                }
                row(
                    vec![short_id(&s.record_id).to_string(), t(crate::web::kind_key(&s.kind)), s.author.clone(), state],
                    s.state,
                    &s.record_id,
                )
            })
            .collect(),
    };
    sections.push(section("records", "dr_sec_records", lang, records));

    Words {
        title: t("dr_title"),
        lang,
        fields,
        notice: greyed.then(|| t("dr_not_final")),
        sections,
        signatures: vec![t("dr_recorded_by"), t("dr_reviewed_by")],
        footer: t("dr_footer").replace("{site}", &r.site_name).replace("{date}", &r.date.to_string()),
        page_label: t("dr_page_label"),
    }
}

/// The words as a `report_pdf::Document`; photos' JPEGs from `thumbs` by original SHA-256 (a
/// missing one draws the crate's placeholder).
pub fn document(w: &Words, thumbs: &HashMap<String, Vec<u8>>) -> Document {
    let mut blocks = vec![Block::Heading { text: w.title.clone(), level: 1 }, Block::Fields(w.fields.clone())];
    if let Some(n) = &w.notice {
        blocks.push(Block::Paragraph { text: n.clone(), muted: true });
    }
    for s in &w.sections {
        blocks.push(Block::Heading { text: s.heading.clone(), level: 2 });
        for p in &s.parts {
            blocks.push(match p {
                Part::Nothing(text) => Block::Paragraph { text: text.clone(), muted: true },
                Part::Table(g) => Block::Table(Table {
                    columns: g.columns.clone(),
                    rows: g
                        .rows
                        .iter()
                        .map(|r| Row { cells: r.cells.clone(), total: r.total, muted: r.muted })
                        .collect(),
                }),
                Part::Photos(cards) => Block::Photos(
                    cards
                        .iter()
                        .map(|c| Photo { jpeg: thumbs.get(&c.sha256).cloned(), caption: c.caption.clone() })
                        .collect(),
                ),
            });
        }
    }
    blocks.push(Block::Heading { text: w.lang.t("dr_sec_signatures").to_string(), level: 2 });
    blocks.push(Block::Signatures(w.signatures.clone()));
    Document {
        title: format!("{} · {}", w.title, w.footer),
        lang: w.lang.tag().to_string(),
        footer: w.footer.clone(),
        page_label: w.page_label.clone(),
        blocks,
    }
}

/// Every photo of the report (progress, receipts, issues).
fn all_photos(r: &DailyReport) -> impl Iterator<Item = &PhotoItem> {
    r.progress
        .iter()
        .flat_map(|p| &p.photos)
        .chain(r.expenses.iter().flat_map(|e| &e.receipts))
        .chain(r.observations.iter().flat_map(|o| &o.photos))
}

/// The thumbnails of the uploaded photos, read together; one that cannot be read is left out (a
/// placeholder is drawn) and logged.
async fn thumbnails(blobs: &Arc<Blobs>, r: &DailyReport) -> HashMap<String, Vec<u8>> {
    let mut wanted: Vec<String> = all_photos(r).filter(|p| p.uploaded).map(|p| p.sha256.clone()).collect();
    wanted.sort();
    wanted.dedup();
    let mut set = tokio::task::JoinSet::new();
    for sha in wanted {
        let blobs = blobs.clone();
        set.spawn(async move {
            let got = match crate::blobs::tus::ensure_derived(&blobs, &sha, crate::blobs::tus::Derived::Thumbnail).await
            {
                Ok(key) => blobs.store.get(&key).await.map_err(|e| e.to_string()),
                Err(e) => Err(format!("{e:?}")),
            };
            (sha, got)
        });
    }
    let mut out = HashMap::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok((sha, Ok(Some(bytes)))) => {
                out.insert(sha, bytes.to_vec());
            }
            Ok((sha, Ok(None))) => tracing::warn!(%sha, "daily report: no thumbnail for the photo"),
            Ok((sha, Err(e))) => tracing::warn!(%sha, error = %e, "daily report: thumbnail unreadable"),
            Err(e) => tracing::warn!(error = %e, "daily report: thumbnail read failed"),
        }
    }
    out
}

/// The report as a PDF in `lang`: thumbnails read from the blob store, laid out on the blocking
/// pool (a report with many photos is CPU work for some tens of milliseconds).
pub async fn render(blobs: &Arc<Blobs>, report: &DailyReport, lang: Lang) -> Result<Vec<u8>, PdfFailure> {
    // Said before any work: no font, no PDF.
    fonts()?;
    let thumbs = thumbnails(blobs, report).await;
    let doc = document(&words(report, lang), &thumbs);
    tokio::task::spawn_blocking(move || {
        let fonts = fonts()?;
        report_pdf::render(&doc, fonts).map_err(|e| PdfFailure::Render(e.to_string()))
    })
    .await
    .map_err(|e| PdfFailure::Render(format!("the rendering task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daily_reports::model::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    pub(crate) fn sample() -> DailyReport {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("date");
        DailyReport {
            project_id: "P1".into(),
            project_name: "一号楼".into(),
            site_id: "S1".into(),
            site_name: "3#楼".into(),
            date,
            time_zone: "Asia/Shanghai".into(),
            version: 2,
            generated_at_ms: 1_796_450_400_000,
            foremen: vec!["王建国".into(), "李强".into()],
            weather: Some(Weather {
                am: Some("sunny".into()),
                pm: Some("light_rain".into()),
                low_c: Some(d("3")),
                high_c: Some(d("12.5")),
                record_id: "dl1".into(),
            }),
            labour: vec![LabourRow {
                record_id: "r-labour-1".into(),
                state: RecordState::Pending,
                trade_id: "carpenter".into(),
                trade_name: "木工".into(),
                crew: Some("张班".into()),
                headcount: 6,
                man_days: d("6"),
                hours: d("48"),
                cost: d("2700"),
                currency: "CNY".into(),
                cost_code: "03-100".into(),
                cost_code_name: "模板".into(),
                activity_name: None,
                workers: vec![],
            }],
            labour_total: LabourTotal {
                headcount: 6,
                man_days: d("6"),
                hours: d("48"),
                cost: vec![Amount { currency: "CNY".into(), amount: d("2700") }],
            },
            progress: vec![ProgressItem {
                record_id: "r-progress-1".into(),
                state: RecordState::Approved,
                activity_id: "A1".into(),
                activity_name: "三层顶板浇筑".into(),
                percent: Some(d("40")),
                quantity: None,
                unit: None,
                caption: Some("东侧完成".into()),
                author: "王建国".into(),
                photos: vec![PhotoItem {
                    sha256: "ab".repeat(32),
                    thumbnail_sha256: "cd".repeat(32),
                    captured_at_ms: 1_796_430_300_000,
                    latitude: Some(31.230416),
                    longitude: Some(121.473701),
                    caption: None,
                    uploaded: true,
                }],
            }],
            expenses: vec![],
            expense_totals: vec![],
            observations: vec![],
            visitors: vec![],
            delays: vec![DelayRow {
                cause: "weather".into(), hours: d("1.5"), description: Some("午后小雨".into())
            }],
            notes: vec![],
            sources: vec![SourceRecord {
                record_id: "r-labour-1".into(),
                kind: "labour_sheet".into(),
                author: "王建国".into(),
                heads: vec![],
                doc_version: 1,
                state: RecordState::Pending,
                conflicts: 0,
            }],
        }
    }

    #[test]
    fn words_in_both_languages() {
        let r = sample();
        let zh = words(&r, Lang::ZhCn);
        assert_eq!(zh.title, "施工日志");
        let field = |w: &Words, i: usize| w.fields[i].1.clone();
        assert_eq!(field(&zh, 2), "2026-12-05 星期六");
        assert_eq!(field(&zh, 4), "上午 晴、下午 小雨、3～12.5℃");
        assert_eq!(zh.footer, "施工日志 · 3#楼 · 2026-12-05");
        let labour = match &zh.sections[0].parts[0] {
            Part::Table(g) => g.clone(),
            other => panic!("labour is a table: {other:?}"),
        };
        assert_eq!(labour.rows[0].cells[5], "¥2,700.00");
        assert_eq!(labour.rows[0].cells[6], "03-100 模板");
        assert!(labour.rows[0].muted && labour.rows[0].cells[7] == "待审批");
        assert!(labour.rows[1].total && labour.rows[1].cells[3] == "6");
        // Photo captions: the activity (no caption of its own), the time in Beijing time, the GPS.
        let photos = match &zh.sections[1].parts[1] {
            Part::Photos(p) => p.clone(),
            other => panic!("photos: {other:?}"),
        };
        assert_eq!(photos[0].caption[0], "三层顶板浇筑");
        assert!(photos[0].caption[1].ends_with("北京时间") && !photos[0].caption[1].starts_with("2026"));
        assert_eq!(photos[0].caption[2], "31.2304, 121.4737");
        // Empty sections say so rather than vanish.
        let expenses = &zh.sections[2];
        assert!(matches!(&expenses.parts[..], [Part::Nothing(t)] if t == "无。"));
        let en = words(&r, Lang::En);
        assert_eq!(field(&en, 2), "2026-12-05 Saturday");
        assert_eq!(field(&en, 4), "morning sunny, afternoon light rain, 3–12.5 ℃");
        assert!(en.notice.is_some());
        let doc = document(&en, &HashMap::new());
        assert_eq!(doc.lang, "en");
        assert!(matches!(doc.blocks.last(), Some(Block::Signatures(s)) if s.len() == 2));
    }

    #[test]
    fn fonts_are_found_by_face() {
        assert_eq!(face_of(Path::new("/x/NotoSansCJK-Regular.ttc")), (PathBuf::from("/x/NotoSansCJK-Regular.ttc"), 2));
        assert_eq!(face_of(Path::new("/x/Other.ttc#3")), (PathBuf::from("/x/Other.ttc"), 3));
        assert_eq!(face_of(Path::new("/x/a.ttf")), (PathBuf::from("/x/a.ttf"), 0));
    }
}
