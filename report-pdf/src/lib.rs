//! A printable document as PDF: headings, paragraphs, label/value fields, tables that break across
//! pages (header repeated), photo grids with captions and a signature block, laid out on A4 with one
//! CJK font (Noto Sans CJK from Debian's fonts-noto-cjk, or any TrueType/OpenType font given),
//! subset into the file. Words come in already translated; this crate only lays them out.

use std::path::Path;
use std::sync::Arc;

mod layout;
mod pdf;
mod text;

/// A font to draw every text with (Latin and CJK alike), and an optional bold face.
///
/// Loaded once and shared: the font bytes sit behind an `Arc`, so rendering does not read or copy them again.
#[derive(Clone)]
pub struct Fonts {
    regular: FontFile,
    bold: Option<FontFile>,
}

#[derive(Clone)]
pub(crate) struct FontFile {
    pub(crate) path: String,
    pub(crate) data: Arc<Vec<u8>>,
    pub(crate) index: u32,
    /// krilla's handle (hashes the bytes once, here rather than per document).
    pub(crate) pdf: krilla::text::Font,
}

impl FontFile {
    fn load(path: &Path, index: u32) -> Result<FontFile, PdfError> {
        let shown = path.display().to_string();
        let data = Arc::new(std::fs::read(path).map_err(|e| PdfError::Font(format!("{shown}: {e}")))?);
        // Checked with the reader the layout measures with, so a bad face fails here and not mid-render.
        skrifa::FontRef::from_index(&data, index).map_err(|e| PdfError::Font(format!("{shown}: face {index}: {e}")))?;
        let pdf = krilla::text::Font::new(krilla::Data::from(data.clone()), index)
            .ok_or_else(|| PdfError::Font(format!("{shown}: face {index} is not a usable TrueType/OpenType font")))?;
        Ok(FontFile { path: shown, data, index, pdf })
    }
}

impl Fonts {
    /// Reads a font file (`.ttf`, `.otf` or a `.ttc` collection with the face `index`).
    pub fn load(regular: &Path, index: u32, bold: Option<(&Path, u32)>) -> Result<Fonts, PdfError> {
        Ok(Fonts {
            regular: FontFile::load(regular, index)?,
            bold: bold.map(|(path, index)| FontFile::load(path, index)).transpose()?,
        })
    }

    /// Whether a separate bold face was loaded (else headings and totals use the regular one).
    pub fn has_bold(&self) -> bool {
        self.bold.is_some()
    }
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("regular", &(&self.regular.path, self.regular.index))
            .field("bold", &self.bold.as_ref().map(|b| (&b.path, b.index)))
            .finish()
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
    Heading {
        text: String,
        level: u8,
    },
    Paragraph {
        text: String,
        muted: bool,
    },
    /// Label/value pairs in two columns of pairs.
    Fields(Vec<(String, String)>),
    Table(Table),
    Photos(Vec<Photo>),
    /// A line to sign on and a date line per label ("记录人", "审核人"), two labels to a row. The date line's word
    /// follows `Document::lang` ("日期" for `zh*`, else "Date").
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
///
/// Photos whose JPEG cannot be read are drawn as placeholders; only a document longer than
/// [`MAX_PAGES`] pages or a failure to write fails.
pub fn render(doc: &Document, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let regular = text::Face::new(&fonts.regular)?;
    let bold = fonts.bold.as_ref().map(text::Face::new).transpose()?;
    let faces = layout::Faces { regular, bold };
    let pages = layout::lay_out(doc, &faces)?;
    pdf::write(doc, &faces, pages)
}

/// The most pages one document may have; longer ones fail with [`PdfError::Write`].
pub const MAX_PAGES: usize = layout::MAX_PAGES;
