//! A printable document as PDF: headings, paragraphs, label/value fields, tables that break across
//! pages (header repeated), photo grids with captions and a signature block, laid out on A4 with one
//! CJK font (Noto Sans CJK from Debian's fonts-noto-cjk, or any TrueType/OpenType font given),
//! subset into the file. Words come in already translated; this crate only lays them out.

use std::path::Path;

/// A font to draw every text with (Latin and CJK alike), and an optional bold face.
pub struct Fonts {
    // filled by the implementation
}

impl Fonts {
    /// Reads a font file (`.ttf`, `.otf` or a `.ttc` collection with the face `index`).
    pub fn load(_regular: &Path, _index: u32, _bold: Option<(&Path, u32)>) -> Result<Fonts, PdfError> {
        Err(PdfError::Font("not implemented yet".into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("font: {0}")]
    Font(String),
    #[error("image {index}: {reason}")]
    Image { index: usize, reason: String },
    #[error("pdf: {0}")]
    Write(String),
}

/// A document: metadata, a running footer, and blocks from top to bottom.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub title: String,
    /// BCP 47 tag (`zh-CN`, `en`), written as the document's language.
    pub lang: String,
    /// Left part of every page's footer (e.g. "施工日志 · 3#楼 · 2026-12-05"); the right part is "page / pages".
    pub footer: String,
    /// How "page x of y" reads: `{page}` and `{pages}` are replaced ("第 {page} 页 / 共 {pages} 页").
    pub page_label: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// Level 1 is the document title, 2 a section.
    Heading { text: String, level: u8 },
    Paragraph { text: String, muted: bool },
    /// Label/value pairs in two columns of pairs.
    Fields(Vec<(String, String)>),
    Table(Table),
    Photos(Vec<Photo>),
    /// A line to sign on and a date line per label ("记录人", "审核人").
    Signatures(Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    /// Relative width (the table fills the text width).
    pub width: f32,
    pub align_right: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub cells: Vec<String>,
    /// A total row: bold, ruled above.
    pub total: bool,
    /// Drawn in grey (e.g. a record still pending).
    pub muted: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Photo {
    /// A baseline or progressive JPEG, embedded as it is; None draws a labelled placeholder.
    pub jpeg: Option<Vec<u8>>,
    pub caption: Vec<String>,
}

/// Lays `doc` out and writes the PDF.
pub fn render(_doc: &Document, _fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    Err(PdfError::Write("not implemented yet".into()))
}
