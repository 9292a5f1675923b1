//! Glyphs and line breaking. One glyph per character (no shaping, no kerning): enough for CJK and Latin
//! set in Noto Sans CJK, and what keeps the build free of a shaper.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;

use krilla::text::{GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::{FontFile, PdfError};

/// A face ready to measure and draw, for one render (it borrows the loaded font's bytes).
pub(crate) struct Face<'a> {
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
    units_per_em: f32,
    /// Glyph id and advance (in em) per character; `None` for characters drawn as nothing.
    cache: RefCell<HashMap<char, Option<(u32, f32)>>>,
    pub(crate) pdf: krilla::text::Font,
}

impl<'a> Face<'a> {
    pub(crate) fn new(file: &'a FontFile) -> Result<Face<'a>, PdfError> {
        let font = FontRef::from_index(&file.data, file.index)
            .map_err(|e| PdfError::Font(format!("{}: face {}: {e}", file.path, file.index)))?;
        let units = font.metrics(Size::unscaled(), LocationRef::default()).units_per_em;
        Ok(Face {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: if units == 0 { 1000.0 } else { f32::from(units) },
            cache: RefCell::new(HashMap::new()),
            pdf: file.pdf.clone(),
        })
    }

    fn glyph(&self, c: char) -> Option<(u32, f32)> {
        if let Some(g) = self.cache.borrow().get(&c) {
            return *g;
        }
        let g = if invisible(c) {
            None
        } else {
            let shown = if c == '\t' { ' ' } else { c };
            // A character the font lacks shows as its .notdef box rather than vanishing.
            let id = self.charmap.map(shown).unwrap_or(skrifa::GlyphId::NOTDEF);
            let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
            Some((id.to_u32(), advance))
        };
        self.cache.borrow_mut().insert(c, g);
        g
    }

    /// Advance of `c` at `size` points.
    pub(crate) fn advance(&self, c: char, size: f32) -> f32 {
        self.glyph(c).map_or(0.0, |(_, a)| a * size)
    }

    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c, size)).sum()
    }

    /// The glyphs of one line, each pointing back at its character (so the PDF's text can be extracted).
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .filter_map(|(i, c)| {
                let (id, advance) = self.glyph(c)?;
                let range: Range<usize> = i..i + c.len_utf8();
                Some(KrillaGlyph::new(GlyphId::new(id), advance, 0.0, 0.0, 0.0, range, None))
            })
            .collect()
    }
}

/// Controls, joiners, variation selectors: not drawn, no width.
fn invisible(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}')
        || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// A break opportunity, dropped at the end of a wrapped line.
    Space,
    /// Ideographs, kana, hangul, fullwidth forms: a break is allowed on either side.
    Cjk,
    /// Never starts a line: closing brackets, punctuation, postfix units (℃ ㎡ ％).
    Close,
    /// Never ends a line: opening brackets, currency prefixes.
    Open,
    /// Latin letters, digits and the rest: words are kept whole.
    Other,
}

fn class(c: char) -> Class {
    match c {
        ' ' | '\t' | '\u{3000}' | '\u{200B}' => Class::Space,
        '，' | '。' | '、' | '；' | '：' | '！' | '？' | '）' | '】' | '》' | '」' | '』' | '〕' | '〉' | '〗'
        | '”' | '’' | '…' | '％' | '℃' | '℉' | '°' | '‰' | '㎡' | '㎥' | '㎝' | '㎜' | '㎞' | '㎏' | '・' | 'ー'
        | '｝' | '］' | '．' => Class::Close,
        ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '%' => Class::Close,
        '（' | '【' | '《' | '「' | '『' | '〔' | '〈' | '〖' | '“' | '‘' | '｛' | '［' | '(' | '[' | '{' | '¥'
        | '￥' | '$' | '€' | '£' => Class::Open,
        _ if is_cjk(c) => Class::Cjk,
        _ => Class::Other,
    }
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// One laid-out line: its text and width in points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub(crate) text: String,
    pub(crate) width: f32,
}

/// An unbreakable piece of a line.
struct Atom {
    range: Range<usize>,
    width: f32,
    space: bool,
    /// Ends in a Latin character: a following Latin character continues the word.
    latin_tail: bool,
    /// Ends in an opening bracket: the next character stays with it.
    glue: bool,
}

fn atoms(face: &Face, line: &str, size: f32) -> Vec<Atom> {
    let mut out: Vec<Atom> = Vec::new();
    for (i, c) in line.char_indices() {
        let cls = class(c);
        let width = face.advance(c, size);
        let end = i + c.len_utf8();
        let join = match (cls, out.last()) {
            (_, None) => false,
            (Class::Space, Some(last)) => last.space,
            (_, Some(last)) if last.space => false,
            (Class::Close, Some(_)) => true,
            (_, Some(last)) if last.glue => true,
            (Class::Other | Class::Open, Some(last)) => last.latin_tail,
            (Class::Cjk, Some(_)) => false,
        };
        match out.last_mut() {
            Some(last) if join => {
                last.range.end = end;
                last.width += width;
                last.latin_tail = match cls {
                    Class::Other => true,
                    Class::Close => last.latin_tail,
                    _ => false,
                };
                last.glue = cls == Class::Open;
            }
            _ => out.push(Atom {
                range: i..end,
                width,
                space: cls == Class::Space,
                latin_tail: cls == Class::Other,
                glue: cls == Class::Open,
            }),
        }
    }
    out
}

/// Tolerance for float sums that land exactly on the line width.
const EPSILON: f32 = 0.01;

/// Breaks `text` into lines at most `max` points wide: newlines start new lines, CJK breaks between characters,
/// Latin at spaces, and a word longer than the line anywhere. Always at least one line (maybe empty).
pub(crate) fn wrap(face: &Face, text: &str, size: f32, max: f32) -> Vec<Line> {
    let mut out = Vec::new();
    for hard in text.split('\n') {
        wrap_line(face, hard.strip_suffix('\r').unwrap_or(hard), size, max.max(0.0), &mut out);
    }
    out
}

fn wrap_line(face: &Face, line: &str, size: f32, max: f32, out: &mut Vec<Line>) {
    let mut cur = String::new();
    let mut cur_w = 0.0_f32;
    // Spaces seen after the current line's last word: kept only if another word follows on this line.
    let mut pending: Option<(Range<usize>, f32)> = None;
    let mut wrapped = false;
    for atom in atoms(face, line, size) {
        if atom.space {
            if cur.is_empty() {
                // Indentation of a hard line stays; spaces at a wrap vanish.
                if !wrapped {
                    cur.push_str(&line[atom.range.clone()]);
                    cur_w += atom.width;
                }
            } else {
                pending = Some((atom.range.clone(), atom.width));
            }
            continue;
        }
        let space_w = pending.as_ref().map_or(0.0, |(_, w)| *w);
        if cur_w + space_w + atom.width <= max + EPSILON {
            if let Some((range, w)) = pending.take() {
                cur.push_str(&line[range]);
                cur_w += w;
            }
            cur.push_str(&line[atom.range.clone()]);
            cur_w += atom.width;
            continue;
        }
        pending = None;
        if !cur.is_empty() {
            out.push(Line { text: std::mem::take(&mut cur), width: cur_w });
            cur_w = 0.0;
            wrapped = true;
        }
        if atom.width <= max + EPSILON {
            cur.push_str(&line[atom.range.clone()]);
            cur_w += atom.width;
            continue;
        }
        // Longer than a whole line: break between any two characters (at least one per line).
        for c in line[atom.range.clone()].chars() {
            let w = face.advance(c, size);
            if cur_w + w > max + EPSILON && !cur.is_empty() {
                out.push(Line { text: std::mem::take(&mut cur), width: cur_w });
                cur_w = 0.0;
                wrapped = true;
            }
            cur.push(c);
            cur_w += w;
        }
    }
    out.push(Line { text: cur, width: cur_w });
}

/// `text` cut to fit `max` points on one line, with an ellipsis when cut.
pub(crate) fn truncate(face: &Face, text: &str, size: f32, max: f32) -> Line {
    let text: String = text.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    let width = face.width(&text, size);
    if width <= max + EPSILON {
        return Line { text, width };
    }
    let ellipsis = face.advance('…', size);
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let a = face.advance(c, size);
        if w + a + ellipsis > max {
            break;
        }
        out.push(c);
        w += a;
    }
    out.push('…');
    Line { text: out, width: w + ellipsis }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_face(test: impl FnOnce(&Face)) {
        let path = std::path::Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
        if !path.exists() {
            eprintln!("skipped: {} is missing", path.display());
            return;
        }
        let file = FontFile::load(path, 2).expect("Noto Sans CJK SC");
        let face = Face::new(&file).expect("face");
        test(&face);
    }

    fn texts(face: &Face, text: &str, chars_wide: f32) -> Vec<String> {
        // Noto's ideographs are exactly 1 em wide, so widths are counted in CJK characters.
        let max = face.advance('中', 10.0) * chars_wide;
        wrap(face, text, 10.0, max).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn cjk_breaks_between_any_two_characters() {
        with_face(|f| assert_eq!(texts(f, "钢筋绑扎完成验收", 3.0), ["钢筋绑", "扎完成", "验收"]));
    }

    #[test]
    fn latin_breaks_at_spaces_and_drops_them() {
        with_face(|f| {
            let lines = texts(f, "pour the third floor slab", 6.0);
            assert!(lines.len() > 1, "{lines:?}");
            assert!(lines.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')), "{lines:?}");
            assert_eq!(lines.join(" "), "pour the third floor slab");
        });
    }

    #[test]
    fn a_word_longer_than_the_line_breaks_anywhere() {
        with_face(|f| {
            let lines = texts(f, "abcdefghijklmnopqrstuvwxyz", 4.0);
            assert!(lines.len() > 2, "{lines:?}");
            assert_eq!(lines.concat(), "abcdefghijklmnopqrstuvwxyz");
        });
    }

    #[test]
    fn closing_marks_and_units_never_start_a_line_and_openers_never_end_one() {
        with_face(|f| {
            for (text, width) in
                [("温度二十五℃以上", 5.0), ("面积三百㎡整", 4.0), ("今天完成。明天", 4.0), ("数量（约）五", 3.0)]
            {
                let lines = texts(f, text, width);
                assert_eq!(lines.concat(), text);
                for line in &lines {
                    let first = line.chars().next().expect("non-empty line");
                    let last = line.chars().last().expect("non-empty line");
                    assert!(!matches!(first, '℃' | '㎡' | '。' | '）'), "{text}: {lines:?}");
                    assert!(last != '（', "{text}: {lines:?}");
                }
            }
            // A number keeps its unit and the mixed word stays whole.
            assert_eq!(texts(f, "浇筑 86.5㎥", 4.0), ["浇筑", "86.5㎥"]);
        });
    }

    #[test]
    fn newlines_start_new_lines_and_empty_text_is_one_empty_line() {
        with_face(|f| {
            assert_eq!(texts(f, "第一行\n第二行\r\n", 20.0), ["第一行", "第二行", ""]);
            assert_eq!(texts(f, "", 20.0), [""]);
        });
    }

    #[test]
    fn symbols_have_glyphs() {
        with_face(|f| {
            for c in ['℃', '㎡', '㎥', '·', '—', '（', '）', '¥', 'é'] {
                let (id, advance) = f.glyph(c).expect("drawn");
                assert!(id != 0 && advance > 0.0, "{c} has no glyph in Noto Sans CJK SC");
            }
        });
    }
}
