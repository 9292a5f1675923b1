//! The file's headers: the markers before the scan are walked once, keeping only what a baseline
//! or extended sequential Huffman file of one interleaved scan needs (its frame and components,
//! the dequantisation and Huffman tables, where the entropy-coded data starts) and refusing
//! everything else, so that the rest of the decoder sees only files it takes. Also the
//! destuffing of the entropy-coded bytes that follow.

use super::huffman::Huffman;
use crate::photo::MAX_PIXELS;

#[derive(Clone, Copy, Default)]
pub(super) struct Component {
    id: u8,
    pub(super) h: usize,
    pub(super) v: usize,
    pub(super) quant: usize,
    pub(super) dc_table: usize,
    pub(super) ac_table: usize,
}

pub(super) struct Frame {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) components: Vec<Component>,
    /// Dequantisation tables in natural (row-major) order.
    pub(super) quant: [[u16; 64]; 4],
    pub(super) dc: [Option<Huffman>; 4],
    pub(super) ac: [Option<Huffman>; 4],
    /// Byte offset of the entropy-coded data (just after the SOS header).
    pub(super) scan_start: usize,
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*b.get(at)?) << 8 | usize::from(*b.get(at + 1)?))
}

/// Zigzag index → natural (row-major) index.
pub(super) const NATURAL: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

impl Frame {
    pub(super) fn parse(b: &[u8]) -> Option<Frame> {
        if b.get(..2)? != [0xFF, 0xD8] {
            return None;
        }
        let mut f = Frame {
            width: 0,
            height: 0,
            components: Vec::new(),
            quant: [[0; 64]; 4],
            dc: [None, None, None, None],
            ac: [None, None, None, None],
            scan_start: 0,
        };
        let mut at = 2;
        let mut frame_seen = false;
        loop {
            // Markers may be preceded by fill bytes.
            while *b.get(at)? == 0xFF && *b.get(at + 1)? == 0xFF {
                at += 1;
            }
            if *b.get(at)? != 0xFF {
                return None;
            }
            let marker = *b.get(at + 1)?;
            let len = be16(b, at + 2)?;
            let body = b.get(at + 4..at + 2 + len)?;
            match marker {
                // Baseline and extended sequential Huffman; anything else goes to libjpeg-turbo.
                0xC0 | 0xC1 => {
                    if frame_seen || *body.first()? != 8 {
                        return None;
                    }
                    frame_seen = true;
                    f.height = be16(body, 1)?;
                    f.width = be16(body, 3)?;
                    let count = usize::from(*body.get(5)?);
                    if !(count == 1 || count == 3) || f.width == 0 || f.height == 0 {
                        return None;
                    }
                    // Ingest refuses such photos from the container walk; this header is read
                    // on its own, so it keeps every buffer sized from it within the same limit.
                    if (f.width as u64) * (f.height as u64) > MAX_PIXELS {
                        return None;
                    }
                    for i in 0..count {
                        let c = body.get(6 + 3 * i..9 + 3 * i)?;
                        let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
                        if !(1..=2).contains(&h) || !(1..=2).contains(&v) || c[2] > 3 {
                            return None;
                        }
                        f.components.push(Component { id: c[0], h, v, quant: usize::from(c[2]), ..Default::default() });
                    }
                    if count == 3 {
                        // Chroma at most as dense as luma, and luma the densest (the layouts
                        // cameras write: 4:2:0, 4:2:2, 4:4:0, 4:4:4).
                        let (l, cb, cr) = (f.components[0], f.components[1], f.components[2]);
                        if (cb.h, cb.v, cr.h, cr.v) != (1, 1, 1, 1) {
                            return None;
                        }
                        // RGB JPEGs (component ids 'R', 'G', 'B') are not YCbCr.
                        if (l.id, cb.id, cr.id) == (b'R', b'G', b'B') {
                            return None;
                        }
                    } else {
                        f.components[0].h = 1;
                        f.components[0].v = 1;
                    }
                }
                0xC2..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => return None,
                0xC4 => {
                    let mut p = 0;
                    while p < body.len() {
                        let class = body[p] >> 4;
                        let slot = usize::from(body[p] & 15);
                        let counts: [u8; 16] = body.get(p + 1..p + 17)?.try_into().ok()?;
                        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                        let symbols = body.get(p + 17..p + 17 + total)?;
                        if slot > 3 || class > 1 {
                            return None;
                        }
                        let table = Huffman::new(&counts, symbols)?;
                        if class == 0 {
                            f.dc[slot] = Some(table);
                        } else {
                            f.ac[slot] = Some(table);
                        }
                        p += 17 + total;
                    }
                }
                0xDB => {
                    let mut p = 0;
                    while p < body.len() {
                        let precision = body[p] >> 4;
                        let slot = usize::from(body[p] & 15);
                        if slot > 3 || precision > 1 {
                            return None;
                        }
                        let q = &mut f.quant[slot];
                        for (k, &natural) in NATURAL.iter().enumerate() {
                            q[natural] = if precision == 0 {
                                u16::from(*body.get(p + 1 + k)?)
                            } else {
                                u16::try_from(be16(body, p + 1 + 2 * k)?).ok()?
                            };
                        }
                        p += 1 + 64 * (1 + usize::from(precision));
                    }
                }
                // A restart interval: other code handles those files.
                0xDD if be16(body, 0)? != 0 => return None,
                // Adobe APP14 with transform 0: RGB or CMYK samples, not YCbCr.
                0xEE if body.starts_with(b"Adobe") && body.get(11) == Some(&0) && f.components.len() != 1 => {
                    return None;
                }
                0xDA => {
                    if !frame_seen {
                        return None;
                    }
                    let count = usize::from(*body.first()?);
                    if count != f.components.len() {
                        return None; // not a single interleaved scan of every component
                    }
                    let mut order = Vec::with_capacity(count);
                    for i in 0..count {
                        let s = body.get(1 + 2 * i..3 + 2 * i)?;
                        let idx = f.components.iter().position(|c| c.id == s[0])?;
                        f.components[idx].dc_table = usize::from(s[1] >> 4);
                        f.components[idx].ac_table = usize::from(s[1] & 15);
                        if f.components[idx].dc_table > 3 || f.components[idx].ac_table > 3 {
                            return None;
                        }
                        order.push(idx);
                    }
                    if order.iter().enumerate().any(|(i, &o)| i != o) {
                        return None;
                    }
                    let tail = body.get(1 + 2 * count..4 + 2 * count)?;
                    if tail != [0, 63, 0] {
                        return None;
                    }
                    f.scan_start = at + 2 + len;
                    return Some(f);
                }
                0xD8 | 0xD9 | 0x01 | 0xD0..=0xD7 => return None,
                _ => {}
            }
            at += 2 + len;
        }
    }
}

/// The entropy-coded bytes with stuffed zeros removed, up to the first marker, plus zero padding
/// for the bit reader. `None` when a marker other than EOI follows (a second scan, a restart).
pub(super) fn destuff(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len() + 8);
    let mut rest = b;
    loop {
        match memchr::memchr(0xFF, rest) {
            None => {
                // Cut off before EOI: libjpeg-turbo decides what that means.
                return None;
            }
            Some(i) => {
                out.extend_from_slice(&rest[..i]);
                match rest.get(i + 1) {
                    Some(0x00) => {
                        out.push(0xFF);
                        rest = &rest[i + 2..];
                    }
                    Some(0xFF) => rest = &rest[i + 1..],
                    Some(0xD9) => break,
                    _ => return None,
                }
            }
        }
    }
    out.extend_from_slice(&[0; 8]);
    Some(out)
}
