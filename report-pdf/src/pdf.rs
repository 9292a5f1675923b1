//! Drawing operations onto krilla pages.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};

use crate::layout::{Faces, Op, PAGE_H, PAGE_W};
use crate::{Document, PdfError};

fn fill(gray: u8) -> Fill {
    Fill { paint: luma::Color::new(gray).into(), ..Fill::default() }
}

pub(crate) fn write(doc: &Document, faces: &Faces, pages: Vec<Vec<Op>>) -> Result<Vec<u8>, PdfError> {
    let mut pdf = krilla::Document::new();
    let mut metadata = Metadata::new().creator("Fieldledger".to_string());
    if !doc.title.is_empty() {
        metadata = metadata.title(doc.title.clone());
    }
    if !doc.lang.is_empty() {
        metadata = metadata.language(doc.lang.clone());
    }
    pdf.set_metadata(metadata);
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
    for ops in pages {
        let mut page = pdf.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, bold, gray, text } => {
                    let face = faces.get(bold);
                    let glyphs = face.glyphs(&text);
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(gray)));
                    surface.draw_glyphs(Point::from_xy(x, y), &glyphs, face.pdf.clone(), &text, size, false);
                }
                Op::Rect { x, y, w, h, gray } => {
                    let Some(rect) = Rect::from_xywh(x, y, w, h) else { continue };
                    let mut path = PathBuilder::new();
                    path.push_rect(rect);
                    let Some(path) = path.finish() else { continue };
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(gray)));
                    surface.draw_path(&path);
                }
                Op::Rule { x, y, w, width, gray } => {
                    if w <= 0.0 {
                        continue;
                    }
                    let mut path = PathBuilder::new();
                    path.move_to(x, y);
                    path.line_to(x + w, y);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: luma::Color::new(gray).into(),
                        width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                }
                Op::Image { image, x, y, w, h } => {
                    let Some(size) = Size::from_wh(w, h) else { continue };
                    surface.push_transform(&Transform::from_translate(x, y));
                    surface.draw_image(image, size);
                    surface.pop();
                }
            }
        }
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| PdfError::Write(e.to_string()))
}
