//! Blocks flowed down A4 pages into drawing operations; `pdf.rs` turns them into PDF. Points, y downwards.

use krilla::Data;
use krilla::image::Image;

use crate::text::{Face, Line, is_cjk, truncate, wrap};
use crate::{Block, Document, PdfError, Photo, Table};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
/// 15 mm.
const MARGIN: f32 = 42.52;
const LEFT: f32 = MARGIN;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
const TOP: f32 = MARGIN;
/// The footer sits below this, inside the bottom margin.
const BOTTOM: f32 = PAGE_H - MARGIN;
const BODY_H: f32 = BOTTOM - TOP;
pub(crate) const MAX_PAGES: usize = 500;

const BODY: f32 = 9.5;
const TABLE: f32 = 8.5;
const SMALL: f32 = 7.5;
/// Noto Sans CJK's ascender, in em: where the baseline sits below the top of the glyph box.
const ASCENT: f32 = 0.88;

const INK: u8 = 0x1a;
const MUTED: u8 = 0x73;
const RULE: u8 = 0x8c;
const HAIR: u8 = 0xd2;
const SHADE: u8 = 0xeb;
const PLACEHOLDER: u8 = 0xdd;

/// Three photos to a row; caption lines per photo beyond this are dropped (a row must fit a page).
const PHOTOS_PER_ROW: usize = 3;
const MAX_CAPTION_LINES: usize = 12;
const SIGNATURES_PER_ROW: usize = 2;

pub(crate) enum Op {
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        gray: u8,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
    /// A horizontal rule, `y` its centre.
    Rule {
        x: f32,
        y: f32,
        w: f32,
        width: f32,
        gray: u8,
    },
    Image {
        image: Image,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

pub(crate) struct Faces<'a> {
    pub(crate) regular: Face<'a>,
    pub(crate) bold: Option<Face<'a>>,
}

impl Faces<'_> {
    pub(crate) fn get(&self, bold: bool) -> &Face<'_> {
        match (&self.bold, bold) {
            (Some(b), true) => b,
            _ => &self.regular,
        }
    }
}

/// A cell of a row: its box, lines and style.
struct Cell {
    x: f32,
    w: f32,
    lines: Vec<Line>,
    right: bool,
    bold: bool,
    gray: u8,
}

/// A row of cells that pages as a unit (split line by line only when taller than a page).
struct RowBox {
    cells: Vec<Cell>,
    size: f32,
    lh: f32,
    pad_x: f32,
    pad_y: f32,
    fill: Option<u8>,
    /// Width and grey of a rule along the top (only on the row's first slice) and bottom.
    rule_above: Option<(f32, u8)>,
    rule_below: Option<(f32, u8)>,
}

impl RowBox {
    fn lines(&self) -> usize {
        self.cells.iter().map(|c| c.lines.len()).max().unwrap_or(0).max(1)
    }

    fn height(&self) -> f32 {
        self.lines() as f32 * self.lh + 2.0 * self.pad_y
    }
}

struct Layout<'a> {
    faces: &'a Faces<'a>,
    done: Vec<Vec<Op>>,
    page: Vec<Op>,
    y: f32,
}

pub(crate) fn lay_out(doc: &Document, faces: &Faces) -> Result<Vec<Vec<Op>>, PdfError> {
    let mut l = Layout { faces, done: Vec::new(), page: Vec::new(), y: TOP };
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading { text, level } => l.heading(text, *level, doc.blocks.get(i + 1))?,
            Block::Paragraph { text, muted } => l.paragraph(text, *muted)?,
            Block::Fields(pairs) => l.fields(pairs)?,
            Block::Table(table) => l.table(table)?,
            Block::Photos(photos) => l.photos(photos)?,
            Block::Signatures(labels) => l.signatures(labels, &doc.lang)?,
        }
    }
    let mut pages = l.done;
    pages.push(l.page);
    footers(doc, faces, &mut pages);
    Ok(pages)
}

fn line_height(size: f32) -> f32 {
    size * 1.45
}

struct HeadingStyle {
    size: f32,
    lh: f32,
    rule: bool,
    before: f32,
    after: f32,
}

fn heading_style(level: u8) -> HeadingStyle {
    match level {
        0 | 1 => HeadingStyle { size: 16.0, lh: 22.0, rule: false, before: 8.0, after: 8.0 },
        2 => HeadingStyle { size: 11.5, lh: 16.0, rule: true, before: 12.0, after: 5.0 },
        _ => HeadingStyle { size: 10.0, lh: 14.0, rule: false, before: 8.0, after: 3.0 },
    }
}

impl Layout<'_> {
    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    fn new_page(&mut self) -> Result<(), PdfError> {
        if self.done.len() + 1 >= MAX_PAGES {
            return Err(PdfError::Write(format!("the document needs more than {MAX_PAGES} pages (the limit)")));
        }
        self.done.push(std::mem::take(&mut self.page));
        self.y = TOP;
        Ok(())
    }

    /// Starts a new page unless `h` fits below (or this page is still empty: then it overflows or is split).
    fn ensure(&mut self, h: f32) -> Result<(), PdfError> {
        if h > self.room() + 0.01 && !self.at_top() {
            self.new_page()?;
        }
        Ok(())
    }

    /// Vertical space before a block, not at the top of a page.
    fn space(&mut self, h: f32) {
        if !self.at_top() {
            self.y += h;
        }
    }

    /// Draws `line` in a line box of height `lh` whose top left corner is `at`.
    fn text(&mut self, at: (f32, f32), lh: f32, size: f32, bold: bool, gray: u8, line: &Line) {
        let (x, top) = at;
        if line.text.trim().is_empty() {
            return;
        }
        let y = top + (lh - size) / 2.0 + size * ASCENT;
        self.page.push(Op::Text { x, y, size, bold, gray, text: line.text.clone() });
    }

    fn heading(&mut self, text: &str, level: u8, next: Option<&Block>) -> Result<(), PdfError> {
        let style = heading_style(level);
        let lines = wrap(self.faces.get(true), text, style.size, WIDTH);
        let rule_h = if style.rule { 4.0 } else { 0.0 };
        let own = lines.len() as f32 * style.lh + rule_h + style.after;
        // Keep the heading with the first line/row of what follows it.
        let next_h = next.map_or(0.0, |b| self.first_height(b));
        let gap = if self.at_top() { 0.0 } else { style.before };
        if gap + own + next_h > self.room() + 0.01 && !self.at_top() {
            self.new_page()?;
        } else {
            self.y += gap;
        }
        for line in &lines {
            self.ensure(style.lh)?;
            let x = if level <= 1 { LEFT + ((WIDTH - line.width) / 2.0).max(0.0) } else { LEFT };
            self.text((x, self.y), style.lh, style.size, true, INK, line);
            self.y += style.lh;
        }
        if style.rule {
            self.y += 2.0;
            self.page.push(Op::Rule { x: LEFT, y: self.y, w: WIDTH, width: 0.8, gray: RULE });
            self.y += 2.0;
        }
        self.y += style.after;
        Ok(())
    }

    /// Height of the first unbreakable piece of `block`, with the space before it.
    fn first_height(&self, block: &Block) -> f32 {
        match block {
            Block::Heading { text, level } => {
                let style = heading_style(*level);
                let lines = wrap(self.faces.get(true), text, style.size, WIDTH).len().min(1);
                style.before + lines as f32 * style.lh
            }
            Block::Paragraph { .. } => 2.0 + line_height(BODY),
            Block::Fields(pairs) => self.field_rows(pairs).first().map_or(0.0, RowBox::height),
            Block::Table(table) => {
                let header = self.table_header(table).map_or(0.0, |h| h.height());
                let first = table.rows.first().map_or(0.0, |r| self.table_row(table, r).height());
                header + first
            }
            Block::Photos(photos) => self.photo_row_height(photos.iter().take(PHOTOS_PER_ROW)),
            Block::Signatures(labels) => {
                SIGNATURE_SPACE + labels.len().div_ceil(SIGNATURES_PER_ROW).max(1) as f32 * SIGNATURE_ROW
            }
        }
    }

    fn paragraph(&mut self, text: &str, muted: bool) -> Result<(), PdfError> {
        let lh = line_height(BODY);
        let lines = wrap(self.faces.get(false), text, BODY, WIDTH);
        self.space(2.0);
        for line in &lines {
            self.ensure(lh)?;
            self.text((LEFT, self.y), lh, BODY, false, if muted { MUTED } else { INK }, line);
            self.y += lh;
        }
        self.y += 4.0;
        Ok(())
    }

    fn field_rows(&self, pairs: &[(String, String)]) -> Vec<RowBox> {
        const GAP: f32 = 18.0;
        const PAD_X: f32 = 2.0;
        let column = (WIDTH - GAP) / 2.0;
        let label_w = column * 0.3;
        let value_w = column - label_w;
        let face = self.faces.get(false);
        pairs
            .chunks(2)
            .map(|chunk| {
                let mut cells = Vec::new();
                for (i, (label, value)) in chunk.iter().enumerate() {
                    let x = LEFT + i as f32 * (column + GAP);
                    cells.push(Cell {
                        x,
                        w: label_w,
                        lines: wrap(face, label, BODY, label_w - 2.0 * PAD_X),
                        right: false,
                        bold: false,
                        gray: MUTED,
                    });
                    cells.push(Cell {
                        x: x + label_w,
                        w: value_w,
                        lines: wrap(face, value, BODY, value_w - 2.0 * PAD_X),
                        right: false,
                        bold: false,
                        gray: INK,
                    });
                }
                RowBox {
                    cells,
                    size: BODY,
                    lh: BODY * 1.4,
                    pad_x: PAD_X,
                    pad_y: 1.5,
                    fill: None,
                    rule_above: None,
                    rule_below: None,
                }
            })
            .collect()
    }

    fn fields(&mut self, pairs: &[(String, String)]) -> Result<(), PdfError> {
        let rows = self.field_rows(pairs);
        self.space(2.0);
        self.place_rows(None, &rows)?;
        self.y += 6.0;
        Ok(())
    }

    /// Column edges: relative widths (non-positive or NaN count as 1) filling the text width.
    fn columns(table: &Table) -> Vec<(f32, f32)> {
        let weights: Vec<f32> =
            table.columns.iter().map(|c| if c.width.is_finite() && c.width > 0.0 { c.width } else { 1.0 }).collect();
        let total: f32 = weights.iter().sum();
        let mut x = LEFT;
        weights
            .iter()
            .map(|w| {
                let width = WIDTH * w / total;
                let edge = (x, width);
                x += width;
                edge
            })
            .collect()
    }

    fn table_cells(&self, table: &Table, texts: &[&str], bold: bool, gray: u8) -> Vec<Cell> {
        let face = self.faces.get(bold);
        Self::columns(table)
            .into_iter()
            .zip(&table.columns)
            .enumerate()
            .map(|(i, ((x, w), column))| Cell {
                x,
                w,
                lines: wrap(face, texts.get(i).copied().unwrap_or(""), TABLE, w - 2.0 * TABLE_PAD_X),
                right: column.align_right,
                bold,
                gray,
            })
            .collect()
    }

    fn table_header(&self, table: &Table) -> Option<RowBox> {
        if table.columns.is_empty() {
            return None;
        }
        let texts: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();
        Some(RowBox {
            cells: self.table_cells(table, &texts, true, INK),
            size: TABLE,
            lh: line_height(TABLE) * 0.95,
            pad_x: TABLE_PAD_X,
            pad_y: 3.0,
            fill: Some(SHADE),
            rule_above: None,
            rule_below: Some((0.6, RULE)),
        })
    }

    fn table_row(&self, table: &Table, row: &crate::Row) -> RowBox {
        let texts: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let gray = if row.muted { MUTED } else { INK };
        RowBox {
            cells: self.table_cells(table, &texts, row.total, gray),
            size: TABLE,
            lh: line_height(TABLE) * 0.95,
            pad_x: TABLE_PAD_X,
            pad_y: 2.5,
            fill: None,
            rule_above: row.total.then_some((0.8, INK)),
            rule_below: Some((0.3, HAIR)),
        }
    }

    fn table(&mut self, table: &Table) -> Result<(), PdfError> {
        let Some(header) = self.table_header(table) else {
            return Ok(());
        };
        let rows: Vec<RowBox> = table.rows.iter().map(|r| self.table_row(table, r)).collect();
        self.space(3.0);
        self.place_rows(Some(&header), &rows)?;
        self.y += 10.0;
        Ok(())
    }

    /// Places rows down the page, repeating `header` on every page they continue on. A row moves whole to the
    /// next page; only a row taller than a page is split between its lines.
    fn place_rows(&mut self, header: Option<&RowBox>, rows: &[RowBox]) -> Result<(), PdfError> {
        let header_h = header.map_or(0.0, RowBox::height);
        // A header never sits alone at the bottom of a page.
        self.ensure(header_h + rows.first().map_or(0.0, RowBox::height))?;
        if let Some(h) = header {
            self.draw_row(h, 0, h.lines());
        }
        for row in rows {
            let h = row.height();
            if h > self.room() + 0.01 && h + header_h <= BODY_H {
                self.new_page()?;
                if let Some(head) = header {
                    self.draw_row(head, 0, head.lines());
                }
            }
            let total = row.lines();
            let mut from = 0;
            while from < total {
                let fit = ((self.room() - 2.0 * row.pad_y) / row.lh + 0.001).floor().max(0.0) as usize;
                let fresh = self.y <= TOP + header_h + 0.01;
                if fit == 0 && !fresh {
                    self.new_page()?;
                    if let Some(head) = header {
                        self.draw_row(head, 0, head.lines());
                    }
                    continue;
                }
                // On a fresh page at least one line goes down, so this always ends.
                let to = (from + fit.max(1)).min(total);
                self.draw_row(row, from, to);
                from = to;
            }
        }
        Ok(())
    }

    /// Draws lines `from..to` of `row` at the current position.
    fn draw_row(&mut self, row: &RowBox, from: usize, to: usize) {
        let h = (to - from) as f32 * row.lh + 2.0 * row.pad_y;
        let top = self.y;
        if let Some(gray) = row.fill {
            self.page.push(Op::Rect { x: LEFT, y: top, w: WIDTH, h, gray });
        }
        if let (Some((width, gray)), 0) = (row.rule_above, from) {
            self.page.push(Op::Rule { x: LEFT, y: top, w: WIDTH, width, gray });
        }
        for cell in &row.cells {
            for (k, line) in cell.lines.iter().enumerate().take(to).skip(from) {
                let x = if cell.right { cell.x + cell.w - row.pad_x - line.width } else { cell.x + row.pad_x };
                let line_top = top + row.pad_y + (k - from) as f32 * row.lh;
                self.text((x, line_top), row.lh, row.size, cell.bold, cell.gray, line);
            }
        }
        if let (Some((width, gray)), true) = (row.rule_below, to >= row.lines()) {
            self.page.push(Op::Rule { x: LEFT, y: top + h, w: WIDTH, width, gray });
        }
        self.y = top + h;
    }

    fn photo_row_height<'p>(&self, photos: impl Iterator<Item = &'p Photo>) -> f32 {
        let lines = photos.map(|p| self.caption_lines(p).len()).max().unwrap_or(0);
        PHOTO_BOX_H + PHOTO_CAPTION_GAP + lines as f32 * line_height(SMALL) * 0.95
    }

    fn caption_lines(&self, photo: &Photo) -> Vec<Line> {
        let face = self.faces.get(false);
        let mut lines: Vec<Line> = photo
            .caption
            .iter()
            .flat_map(|c| wrap(face, c, SMALL, PHOTO_W))
            .filter(|l| !l.text.trim().is_empty())
            .collect();
        lines.truncate(MAX_CAPTION_LINES);
        lines
    }

    fn photos(&mut self, photos: &[Photo]) -> Result<(), PdfError> {
        let clh = line_height(SMALL) * 0.95;
        self.space(4.0);
        for (r, row) in photos.chunks(PHOTOS_PER_ROW).enumerate() {
            if r > 0 {
                self.space(PHOTO_GAP);
            }
            self.ensure(self.photo_row_height(row.iter()))?;
            let top = self.y;
            let mut bottom = top;
            for (i, photo) in row.iter().enumerate() {
                let x = LEFT + i as f32 * (PHOTO_W + PHOTO_GAP);
                match photo.jpeg.as_deref().and_then(load_jpeg) {
                    Some((image, (iw, ih))) => {
                        let scale = (PHOTO_W / iw).min(PHOTO_BOX_H / ih);
                        let (w, h) = (iw * scale, ih * scale);
                        self.page.push(Op::Image {
                            image,
                            x: x + (PHOTO_W - w) / 2.0,
                            y: top + (PHOTO_BOX_H - h) / 2.0,
                            w,
                            h,
                        });
                    }
                    None => self.page.push(Op::Rect { x, y: top, w: PHOTO_W, h: PHOTO_BOX_H, gray: PLACEHOLDER }),
                }
                let mut y = top + PHOTO_BOX_H + PHOTO_CAPTION_GAP;
                for (k, line) in self.caption_lines(photo).iter().enumerate() {
                    self.text((x, y), clh, SMALL, false, if k == 0 { INK } else { MUTED }, line);
                    y += clh;
                }
                bottom = bottom.max(y);
            }
            self.y = bottom.max(top + PHOTO_BOX_H);
        }
        self.y += 6.0;
        Ok(())
    }

    fn signatures(&mut self, labels: &[String], lang: &str) -> Result<(), PdfError> {
        let face = self.faces.get(false);
        let date = if lang.starts_with("zh") { "日期" } else { "Date" };
        let column = WIDTH / SIGNATURES_PER_ROW as f32;
        let lh = line_height(BODY);
        self.space(SIGNATURE_SPACE);
        for row in labels.chunks(SIGNATURES_PER_ROW) {
            self.ensure(SIGNATURE_ROW)?;
            // Room above the line for the signature itself.
            let top = self.y + SIGNATURE_ROW - lh - 4.0;
            for (i, label) in row.iter().enumerate() {
                let x = LEFT + i as f32 * column;
                let label = with_colon(label);
                let label_line = truncate(face, &label, BODY, column * 0.3);
                let date_line = truncate(face, &with_colon(date), BODY, column * 0.2);
                let sign_from = x + label_line.width + 3.0;
                let date_x = x + column * 0.62;
                let rule_y = top + lh - 2.0;
                self.text((x, top), lh, BODY, false, INK, &label_line);
                self.page.push(Op::Rule {
                    x: sign_from,
                    y: rule_y,
                    w: date_x - 12.0 - sign_from,
                    width: 0.6,
                    gray: INK,
                });
                self.text((date_x, top), lh, BODY, false, INK, &date_line);
                let date_from = date_x + date_line.width + 3.0;
                self.page.push(Op::Rule {
                    x: date_from,
                    y: rule_y,
                    w: x + column - 14.0 - date_from,
                    width: 0.6,
                    gray: INK,
                });
            }
            self.y += SIGNATURE_ROW;
        }
        Ok(())
    }
}

const TABLE_PAD_X: f32 = 3.0;
const PHOTO_GAP: f32 = 10.0;
const PHOTO_W: f32 = (WIDTH - 2.0 * PHOTO_GAP) / 3.0;
const PHOTO_BOX_H: f32 = PHOTO_W * 0.75;
const PHOTO_CAPTION_GAP: f32 = 3.0;
const SIGNATURE_SPACE: f32 = 14.0;
const SIGNATURE_ROW: f32 = 40.0;

/// "记录人：" for CJK labels, "Recorded by: " otherwise.
fn with_colon(label: &str) -> String {
    let label = label.trim_end_matches([':', '：', ' ']);
    if label.chars().last().is_some_and(is_cjk) { format!("{label}：") } else { format!("{label}:") }
}

/// The JPEG as krilla reads it (headers, size); `None` when it is not a readable JPEG.
fn load_jpeg(bytes: &[u8]) -> Option<(Image, (f32, f32))> {
    let image = Image::from_jpeg(Data::from(bytes.to_vec()), true).ok()?;
    let (w, h) = image.size();
    (w > 0 && h > 0).then_some((image, (w as f32, h as f32)))
}

fn footers(doc: &Document, faces: &Faces, pages: &mut [Vec<Op>]) {
    let face = faces.get(false);
    let count = pages.len();
    let rule_y = BOTTOM + 8.0;
    let lh = line_height(SMALL);
    let top = rule_y + 4.0;
    for (i, ops) in pages.iter_mut().enumerate() {
        let label = if doc.page_label.is_empty() { "{page} / {pages}" } else { doc.page_label.as_str() };
        let label = label.replace("{page}", &(i + 1).to_string()).replace("{pages}", &count.to_string());
        let right = truncate(face, &label, SMALL, WIDTH / 2.0);
        let left = truncate(face, &doc.footer, SMALL, WIDTH - right.width - 16.0);
        ops.push(Op::Rule { x: LEFT, y: rule_y, w: WIDTH, width: 0.4, gray: HAIR });
        let baseline = top + (lh - SMALL) / 2.0 + SMALL * ASCENT;
        for (x, line) in [(LEFT, left), (LEFT + WIDTH - right.width, right)] {
            if !line.text.trim().is_empty() {
                ops.push(Op::Text { x, y: baseline, size: SMALL, bold: false, gray: MUTED, text: line.text });
            }
        }
    }
}
