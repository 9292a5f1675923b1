//! Baseline JPEG decoded on two cores, at n/8 scale (n = 1..=4), straight to its planes (Y, Cb,
//! Cr as stored: no colour conversion, no chroma upsampling).
//!
//! Why: entropy (Huffman) decoding reads every bit of the file in order and is most of the cost
//! of a DCT-scaled decode; a file without restart markers (most phone photos) gives no place to
//! split it. But Huffman codes resynchronise: a decoder started at an arbitrary bit soon falls
//! into step with the true symbol boundaries. So:
//! 1. thread B starts decoding in the middle of the scan as if an MCU began there, restarting
//!    one bit later whenever it hits an impossible code, and publishes the bit positions (and its
//!    DC predictors) where it believes MCUs start;
//! 2. thread A decodes from the start; when one of its MCUs starts at a bit position B also
//!    started an MCU at, both decoders are in the same state from there on (the bit stream alone
//!    decides every later symbol), so B's MCUs from that point are the true ones. A stops there.
//!    The DC coefficients B decoded are differences summed from the wrong start value: one
//!    constant per component (A's predictor minus B's at the meeting point) corrects them all;
//! 3. each thread runs the small inverse DCT of every block it decodes; A lays its blocks into
//!    the planes as it goes, B keeps its values unclamped (fixed point, ×8), so its correction is
//!    an exact integer added when its blocks are laid in afterwards, on both threads.
//!
//! When B never meets A (nothing found within its published window) A simply decodes to the end:
//! the result is the same, only slower. Anything this decoder does not take (progressive,
//! arithmetic, 12-bit, restart intervals, CMYK/RGB JPEGs, multi-scan) returns `None` and goes to
//! libjpeg-turbo; so does damage, whose diagnosis is libjpeg-turbo's to make.
//!
//! Bounded on hostile input, so it stays on (no cargo feature): the frame is at most
//! [`MAX_PIXELS`](super::MAX_PIXELS); every buffer is sized from the frame (checked arithmetic),
//! never from the scan's length; B keeps at most the frame's MCU count (once met, only what A
//! needs); A stops at the first MCU read past the data. Tests: a 16,384-MCU frame followed by 1 MB
//! of scan, and thousands of damaged files compared with libjpeg-turbo (`tests/photo_mutations.rs`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::MAX_PIXELS;
use super::decode::{Channels, Raster};

/// A JPEG's planes at the decoded scale: luma, and the two chroma planes of colour files.
pub(crate) struct Planes {
    pub luma: Raster,
    pub chroma: Option<[Raster; 2]>,
}

/// Decodes `bytes` at scale `n`/8 (`n` = 1..=4). `None`: not a file this decoder takes, or
/// damaged; the caller decodes it another way.
pub(crate) fn decode(bytes: &[u8], n: usize) -> Option<Planes> {
    if !(1..=4).contains(&n) {
        return None;
    }
    let frame = Frame::parse(bytes)?;
    let scan = Scan::new(&frame, n)?;
    let data = destuff(&bytes[frame.scan_start..])?;
    let mut planes = scan.planes();
    let tail = scan.entropy_decode(&data, &mut planes, true)?;
    scan.lay_tail(&tail, &mut planes);
    Some(scan.crop(&frame, planes))
}

// ---------------------------------------------------------------- headers

#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    dc_table: usize,
    ac_table: usize,
}

struct Frame {
    width: usize,
    height: usize,
    components: Vec<Component>,
    /// Dequantisation tables in natural (row-major) order.
    quant: [[u16; 64]; 4],
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    /// Byte offset of the entropy-coded data (just after the SOS header).
    scan_start: usize,
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*b.get(at)?) << 8 | usize::from(*b.get(at + 1)?))
}

/// Zigzag index → natural (row-major) index.
const NATURAL: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
    47, 55, 62, 63,
];

impl Frame {
    fn parse(b: &[u8]) -> Option<Frame> {
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
fn destuff(b: &[u8]) -> Option<Vec<u8>> {
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

// ---------------------------------------------------------------- Huffman

const LOOKUP_BITS: u32 = 9;

#[derive(Clone)]
struct Huffman {
    /// Indexed by the next `LOOKUP_BITS` bits: code length << 8 | symbol; 0 = longer code.
    lookup: Vec<u16>,
    /// Per code length 1..=16: largest code (-1: none), and offset into `symbols`.
    max_code: [i32; 18],
    offset: [i32; 17],
    symbols: Vec<u8>,
    /// For AC tables, indexed like `lookup`: a code and its extra bits that fit in
    /// `LOOKUP_BITS` together, decoded: value << 16 | run << 8 | bits used; 0 = not such a code.
    fast_ac: Vec<i32>,
}

impl Huffman {
    fn new(counts: &[u8; 16], symbols: &[u8]) -> Option<Huffman> {
        let mut t = Huffman {
            lookup: vec![0; 1 << LOOKUP_BITS],
            max_code: [-1; 18],
            offset: [0; 17],
            symbols: symbols.to_vec(),
            fast_ac: vec![0; 1 << LOOKUP_BITS],
        };
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        for len in 1..=16usize {
            let n = i32::from(counts[len - 1]);
            t.offset[len] = k - code;
            if n > 0 {
                if len as u32 <= LOOKUP_BITS {
                    for i in 0..n {
                        let c = (code + i) as usize;
                        let shift = LOOKUP_BITS - len as u32;
                        let entry = (len as u16) << 8 | u16::from(*symbols.get((k + i) as usize)?);
                        for fill in 0..(1usize << shift) {
                            *t.lookup.get_mut(c << shift | fill)? = entry;
                        }
                    }
                }
                code += n;
                k += n;
                t.max_code[len] = code - 1;
                if code > 1 << len {
                    return None; // more codes than the length allows
                }
            }
            code <<= 1;
        }
        t.max_code[17] = i32::MAX;
        for (i, &entry) in t.lookup.iter().enumerate() {
            let (len, rs) = (u32::from(entry >> 8), entry as u8);
            let (run, size) = (i32::from(rs >> 4), u32::from(rs & 15));
            if entry == 0 || size == 0 || len + size > LOOKUP_BITS {
                continue;
            }
            // The extra bits follow the code inside the same peeked bits.
            let raw = ((i as u32) >> (LOOKUP_BITS - len - size)) & ((1 << size) - 1);
            let value = extend(raw as i32, size);
            t.fast_ac[i] = value << 16 | run << 8 | (len + size) as i32;
        }
        Some(t)
    }
}

/// MSB-first bit reader over destuffed data (which ends with 8 zero bytes of padding).
struct Bits<'a> {
    data: &'a [u8],
    /// Next byte to load.
    pos: usize,
    acc: u64,
    count: u32,
    /// Bits of real data (without the padding).
    limit: usize,
}

impl<'a> Bits<'a> {
    fn at(data: &'a [u8], bit: usize) -> Self {
        let mut b = Bits { data, pos: bit / 8, acc: 0, count: 0, limit: (data.len() - 8) * 8 };
        b.refill();
        b.skip((bit % 8) as u32);
        b
    }

    /// Bits consumed from the start of the data.
    fn position(&self) -> usize {
        self.pos * 8 - self.count as usize
    }

    fn exhausted(&self) -> bool {
        self.position() > self.limit
    }

    #[inline(always)]
    fn refill(&mut self) {
        if self.count <= 32 {
            let word = match self.data.get(self.pos..self.pos + 4) {
                Some(w) => u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
                None => 0,
            };
            self.acc |= u64::from(word) << (32 - self.count);
            self.pos += 4;
            self.count += 32;
        }
    }

    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    fn skip(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// One Huffman symbol; `None` for a code the table does not have.
    #[inline(always)]
    fn symbol(&mut self, t: &Huffman) -> Option<u8> {
        self.refill();
        let entry = t.lookup[self.peek(LOOKUP_BITS) as usize];
        if entry != 0 {
            self.skip(u32::from(entry >> 8));
            return Some(entry as u8);
        }
        let mut len = LOOKUP_BITS as usize + 1;
        let mut code = self.peek(len as u32) as i32;
        while code > t.max_code[len] {
            len += 1;
            if len > 16 {
                return None;
            }
            code = self.peek(len as u32) as i32;
        }
        self.skip(len as u32);
        t.symbols.get((code + t.offset[len]) as usize).copied()
    }

    /// `size` extra bits as a signed coefficient (JPEG's EXTEND).
    #[inline(always)]
    fn value(&mut self, size: u8) -> i32 {
        if size == 0 {
            return 0;
        }
        let size = u32::from(size);
        let v = self.peek(size) as i32;
        self.skip(size);
        extend(v, size)
    }
}

/// JPEG's EXTEND: `size` raw bits as a signed value.
#[inline(always)]
fn extend(raw: i32, size: u32) -> i32 {
    if raw < 1 << (size - 1) { raw - (1 << size) + 1 } else { raw }
}

// ---------------------------------------------------------------- scan

/// Where B publishes MCU starts: (bit position, its MCU number, its DC predictors there).
type Landmark = (usize, usize, [i32; 3]);

/// MCUs B decodes before it starts publishing (so most garbage from a misaligned start is past).
const WARM_UP_MCUS: usize = 8;
/// MCU starts B publishes; A looks for its own among them.
const LANDMARKS: usize = 4096;

struct Scan {
    comps: Vec<Component>,
    dc: Vec<Huffman>,
    ac: Vec<Huffman>,
    /// Output block edge: n×n pixels per 8×8 block.
    n: usize,
    mcus_x: usize,
    mcus_y: usize,
    /// (component, block within the MCU) for each block of an MCU, in coding order.
    blocks: Vec<(usize, usize, usize)>,
    basis: Basis,
    /// Dequantisation per component, natural order.
    quant: Vec<[f32; 64]>,
}

/// A decoding thread's scratch block: dequantised coefficients in natural order.
struct Scratch([f32; 64]);

/// B's share once A met it: B's MCUs from B's MCU number `from` on stand for the image's MCUs
/// from `until` on; each block's n×n output values, unclamped, ×8, whose DC is off by `delta`
/// (quantised DC units) per component.
struct Tail {
    values: Vec<i16>,
    from: usize,
    until: usize,
    delta: [i32; 3],
}

/// Padded planes (whole MCUs): (row length, pixels) per component.
type PlaneBufs = Vec<(usize, Vec<u8>)>;

impl Scan {
    fn new(f: &Frame, n: usize) -> Option<Scan> {
        let hmax = f.components.iter().map(|c| c.h).max()?;
        let vmax = f.components.iter().map(|c| c.v).max()?;
        let mut dc = Vec::new();
        let mut ac = Vec::new();
        for c in &f.components {
            dc.push(f.dc[c.dc_table].clone()?);
            ac.push(f.ac[c.ac_table].clone()?);
            if f.quant[c.quant].contains(&0) {
                return None;
            }
        }
        let mut blocks = Vec::new();
        for (ci, c) in f.components.iter().enumerate() {
            for by in 0..c.v {
                for bx in 0..c.h {
                    blocks.push((ci, bx, by));
                }
            }
        }
        let (mcus_x, mcus_y) = (f.width.div_ceil(8 * hmax), f.height.div_ceil(8 * vmax));
        // The largest buffer, in bytes: B's values (i16) for every MCU; the planes are smaller.
        // Within MAX_PIXELS this cannot overflow even a 32-bit usize; checked all the same.
        mcus_x.checked_mul(mcus_y)?.checked_mul(blocks.len() * n * n)?.checked_mul(2)?;
        Some(Scan {
            quant: f.components.iter().map(|c| f.quant[c.quant].map(f32::from)).collect(),
            comps: f.components.clone(),
            dc,
            ac,
            n,
            mcus_x,
            mcus_y,
            blocks,
            basis: Basis::new(n),
        })
    }

    fn mcu_len(&self) -> usize {
        self.blocks.len() * self.n * self.n
    }

    fn mcu_count(&self) -> usize {
        self.mcus_x * self.mcus_y
    }

    /// Decodes one MCU and inverse-transforms its blocks into `out` (`mcu_len` values).
    #[inline(always)]
    fn mcu(&self, bits: &mut Bits<'_>, pred: &mut [i32; 3], scratch: &mut Scratch, out: &mut [i16]) -> Option<()> {
        let nn = self.n * self.n;
        for (b, &(ci, _, _)) in self.blocks.iter().enumerate() {
            let q = &self.quant[ci];
            let coef = &mut scratch.0;
            let size = bits.symbol(&self.dc[ci])?;
            if size > 11 {
                return None;
            }
            bits.refill();
            // Wrapping: damaged data may sum differences past i32 (the result is garbage either way,
            // and the caller compares what it cannot trust with libjpeg-turbo's verdict).
            pred[ci] = pred[ci].wrapping_add(bits.value(size));
            coef[0] = pred[ci] as f32 * q[0];
            // Bit r set: row r of the block has a non-zero coefficient.
            let mut rows = 1u8;
            let ac = &self.ac[ci];
            let mut k = 1;
            while k < 64 {
                bits.refill();
                let fast = ac.fast_ac[bits.peek(LOOKUP_BITS) as usize];
                if fast != 0 {
                    // Most coefficients: code and value in one look-up.
                    bits.skip((fast & 0xFF) as u32);
                    k += ((fast >> 8) & 0xFF) as usize;
                    if k > 63 {
                        return None;
                    }
                    let natural = NATURAL[k];
                    coef[natural] = (fast >> 16) as f32 * q[natural];
                    rows |= 1 << (natural / 8);
                    k += 1;
                    continue;
                }
                let rs = bits.symbol(ac)?;
                let (run, size) = (usize::from(rs >> 4), rs & 15);
                if size == 0 {
                    if run != 15 {
                        break;
                    }
                    k += 16;
                    continue;
                }
                k += run;
                if k > 63 || size > 10 {
                    return None;
                }
                bits.refill();
                let natural = NATURAL[k];
                coef[natural] = bits.value(size) as f32 * q[natural];
                rows |= 1 << (natural / 8);
                k += 1;
            }
            if k > 64 {
                return None;
            }
            self.basis.idct(coef, rows, &mut out[b * nn..(b + 1) * nn]);
        }
        Some(())
    }

    /// Decodes every MCU: A's go straight into `planes`, B's (if the two met) come back as a
    /// [`Tail`] to be laid in. On two threads when `split` and the scan is big enough to pay.
    fn entropy_decode(&self, data: &[u8], planes: &mut PlaneBufs, split: bool) -> Option<Option<Tail>> {
        let total = self.mcu_count();
        let len = self.mcu_len();
        let real_bits = (data.len() - 8) * 8;
        let mut bits = Bits::at(data, 0);
        let mut pred = [0; 3];
        let mut scratch = Scratch([0.0; 64]);
        let mut values = vec![0i16; len];
        let mut rows: Vec<(usize, &mut [u8])> = planes.iter_mut().map(|(w, d)| (*w, &mut d[..])).collect();
        // Below ~64 KB of scan a second thread costs more than it saves.
        if !split || real_bits < 512 * 1024 || total < 4 * LANDMARKS {
            for m in 0..total {
                // Past the data's end: damaged (a header can claim far more MCUs than the scan
                // holds, and zero padding decodes forever), so stop now rather than at the end.
                if self.mcu(&mut bits, &mut pred, &mut scratch, &mut values).is_none() || bits.exhausted() {
                    return None;
                }
                self.lay_mcu(&values, [0; 3], m % self.mcus_x, m / self.mcus_x, 0, &mut rows);
            }
            return (!bits.exhausted()).then_some(None);
        }

        let give_up = AtomicBool::new(false);
        // How many MCUs B may keep: never more than the frame has; once met, what A needs.
        let stop = AtomicUsize::new(total);
        let (send, landmarks) = mpsc::sync_channel::<Vec<Landmark>>(1);
        // A also lays its MCUs into the planes as it goes, so it takes a little less than half.
        let start_bit = real_bits / 100 * 47;
        std::thread::scope(|scope| {
            let b = std::thread::Builder::new()
                .name("jpeg-tail".into())
                .spawn_scoped(scope, || self.speculate(data, start_bit, &send, &give_up, &stop))
                .ok()?;
            // A: from the start, until it stands where B stood.
            let mut marks: Option<Vec<Landmark>> = None;
            let mut next = 0;
            let mut met = None;
            for m in 0..total {
                let here = bits.position();
                if here >= start_bit && met.is_none() && !give_up.load(Ordering::Relaxed) {
                    let list = marks.get_or_insert_with(|| landmarks.recv().unwrap_or_default());
                    while next < list.len() && list[next].0 < here {
                        next += 1;
                    }
                    if next == list.len() {
                        // Passed every landmark: B is not in step; decode the rest alone.
                        give_up.store(true, Ordering::Relaxed);
                    } else if list[next].0 == here {
                        met = Some((m, list[next].1, list[next].2, pred));
                        stop.store(list[next].1.saturating_add(total - m).min(total), Ordering::Relaxed);
                        break;
                    }
                }
                if self.mcu(&mut bits, &mut pred, &mut scratch, &mut values).is_none() || bits.exhausted() {
                    give_up.store(true, Ordering::Relaxed);
                    return None;
                }
                self.lay_mcu(&values, [0; 3], m % self.mcus_x, m / self.mcus_x, 0, &mut rows);
            }
            let tail = b.join().ok()?;
            match met {
                None => (!bits.exhausted()).then_some(None),
                Some((until, from, b_pred, a_pred)) => {
                    let (values, decoded) = tail?;
                    // B must have decoded every MCU from the meeting point to the end.
                    if decoded < from + (total - until) {
                        return None;
                    }
                    let delta = std::array::from_fn(|c| a_pred[c].wrapping_sub(b_pred[c]));
                    Some(Some(Tail { values, from, until, delta }))
                }
            }
        })
    }

    /// B: decodes from `start_bit` on as if an MCU began there, publishing landmarks once past
    /// the warm-up; an impossible code before that restarts it one bit later. Returns its MCUs'
    /// output values and how many MCUs it decoded before the data ran out, made no sense, or
    /// reached `stop` (at most the frame's MCU count: a scan longer than its frame, which a
    /// crafted file can make megabytes long, must not grow `out` without end), or `None` if it
    /// never got going.
    fn speculate(
        &self,
        data: &[u8],
        start_bit: usize,
        send: &mpsc::SyncSender<Vec<Landmark>>,
        give_up: &AtomicBool,
        stop: &AtomicUsize,
    ) -> Option<(Vec<i16>, usize)> {
        let len = self.mcu_len();
        let total = self.mcu_count();
        let mut start = start_bit;
        'attempt: loop {
            if give_up.load(Ordering::Relaxed) || start > start_bit + 64 * 1024 {
                let _ = send.send(Vec::new());
                return None;
            }
            let mut bits = Bits::at(data, start);
            let mut pred = [0; 3];
            let mut scratch = Scratch([0.0; 64]);
            let mut thrown = vec![0i16; len];
            for _ in 0..WARM_UP_MCUS {
                // A failed block leaves coefficients behind: start from a clean scratch.
                scratch.0 = [0.0; 64];
                if self.mcu(&mut bits, &mut pred, &mut scratch, &mut thrown).is_none() || bits.exhausted() {
                    start += 1;
                    continue 'attempt;
                }
            }
            // From here on every MCU is kept: B's MCU number k is out[k * len..]. B starts
            // ~half-way, so most files need a little over half the frame's MCUs.
            let most = total * len;
            let mut one = vec![0i16; len];
            let mut out: Vec<i16> = Vec::with_capacity((total / 2 + total / 8) * len);
            let mut marks = Vec::with_capacity(LANDMARKS);
            let mut published = false;
            let mut k = 0;
            let mut limit = total;
            loop {
                if !published {
                    if marks.len() < LANDMARKS {
                        marks.push((bits.position(), k, pred));
                    } else {
                        let _ = send.send(std::mem::take(&mut marks));
                        published = true;
                    }
                }
                if k % 256 == 0 {
                    if give_up.load(Ordering::Relaxed) {
                        if !published {
                            let _ = send.send(Vec::new());
                        }
                        return None;
                    }
                    limit = stop.load(Ordering::Relaxed).min(total);
                }
                // Every value of an MCU is written by `mcu`: decode into `one`, then append.
                let decoded = if k < limit { self.mcu(&mut bits, &mut pred, &mut scratch, &mut one) } else { None };
                if decoded.is_none() || bits.exhausted() {
                    if !published {
                        // Ran out within the landmarks: publish what there is.
                        let _ = send.send(marks);
                    }
                    return Some((out, k));
                }
                if out.len() == out.capacity() {
                    // Grown in steps, but never past the frame's MCUs (k < total here).
                    let grown = (out.capacity() * 2).clamp(len, most);
                    out.reserve_exact(grown - out.len());
                }
                out.extend_from_slice(&one);
                k += 1;
            }
        }
    }

    /// Zeroed planes covering whole MCUs.
    fn planes(&self) -> PlaneBufs {
        let n = self.n;
        self.comps
            .iter()
            .map(|c| (self.mcus_x * c.h * n, vec![0u8; self.mcus_x * c.h * n * self.mcus_y * c.v * n]))
            .collect()
    }

    /// Lays one MCU's output values (×8, unclamped) into `out`, whose first row is MCU row
    /// `first_row`; `delta` corrects DC values (quantised units, per component).
    #[inline(always)]
    fn lay_mcu(
        &self,
        values: &[i16],
        delta: [i32; 3],
        mx: usize,
        my: usize,
        first_row: usize,
        out: &mut [(usize, &mut [u8])],
    ) {
        let n = self.n;
        let nn = n * n;
        for (b, &(ci, bx, by)) in self.blocks.iter().enumerate() {
            let c = &self.comps[ci];
            // The DC basis is 1/8, so a DC off by delta shifts a value ×8 by delta × quantiser.
            // Saturated to a range that still clamps every pixel: the sum below cannot overflow.
            let add = delta[ci].saturating_mul(self.quant[ci][0] as i32).clamp(-1 << 20, 1 << 20);
            let (w, plane) = &mut out[ci];
            let x0 = (mx * c.h + bx) * n;
            let y0 = ((my - first_row) * c.v + by) * n;
            for (y, src) in values[b * nn..(b + 1) * nn].chunks_exact(n).enumerate() {
                let at = (y0 + y) * *w + x0;
                if let Some(dst) = plane.get_mut(at..at + n) {
                    for (p, &v) in dst.iter_mut().zip(src) {
                        *p = ((i32::from(v) + add + 4) >> 3).clamp(0, 255) as u8;
                    }
                }
            }
        }
    }

    /// Lays B's MCUs in, their MCU rows split across two threads.
    fn lay_tail(&self, tail: &Option<Tail>, planes: &mut PlaneBufs) {
        let Some(t) = tail else { return };
        let (len, n) = (self.mcu_len(), self.n);
        let first_row = t.until / self.mcus_x;
        let mid = (first_row + 1 + self.mcus_y) / 2;
        let mut tops = Vec::new();
        let mut bottoms = Vec::new();
        for (ci, (w, data)) in planes.iter_mut().enumerate() {
            let cut = (mid * self.comps[ci].v * n * *w).min(data.len());
            let (top, bottom) = data.split_at_mut(cut);
            tops.push((*w, top));
            bottoms.push((*w, bottom));
        }
        let lay = |mcus: std::ops::Range<usize>, first_row: usize, mut out: Vec<(usize, &mut [u8])>| {
            for m in mcus {
                let k = t.from + (m - t.until);
                if let Some(values) = t.values.get(k * len..(k + 1) * len) {
                    self.lay_mcu(values, t.delta, m % self.mcus_x, m / self.mcus_x, first_row, &mut out);
                }
            }
        };
        let split = (mid * self.mcus_x).max(t.until).min(self.mcu_count());
        std::thread::scope(|scope| {
            let other = scope.spawn(|| lay(split..self.mcu_count(), mid, bottoms));
            lay(t.until..split, 0, tops);
            // Re-raised, so a bug cannot leave grey rows behind (the caller's guard turns a panic
            // into "cannot be decoded").
            if let Err(p) = other.join() {
                std::panic::resume_unwind(p);
            }
        });
    }

    /// The planes cut to the picture's own size.
    fn crop(&self, f: &Frame, planes: PlaneBufs) -> Planes {
        let n = self.n;
        let hmax = self.comps.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = self.comps.iter().map(|c| c.v).max().unwrap_or(1);
        let mut rasters = planes.into_iter().zip(&self.comps).map(|((w, data), c)| {
            let visible_w = (f.width * c.h * n).div_ceil(hmax * 8);
            let visible_h = (f.height * c.v * n).div_ceil(vmax * 8);
            crop(w, data, visible_w, visible_h)
        });
        let luma = rasters.next().unwrap_or(Raster { width: 0, height: 0, channels: Channels::Gray, data: Vec::new() });
        let chroma = match (rasters.next(), rasters.next()) {
            (Some(cb), Some(cr)) => Some([cb, cr]),
            _ => None,
        };
        Planes { luma, chroma }
    }
}

fn crop(stride: usize, data: Vec<u8>, w: usize, h: usize) -> Raster {
    let data = if stride == w {
        let mut data = data;
        data.truncate(w * h);
        data
    } else {
        data.chunks_exact(stride).take(h).flat_map(|row| &row[..w]).copied().collect()
    };
    Raster { width: w as u32, height: h as u32, channels: Channels::Gray, data }
}

/// The scaled inverse DCT: each output pixel is the average of the 8×8 IDCT's pixels over the
/// 8/n-wide window it stands for. Averaging the basis cos((2x+1)uπ/16) over g = 8/n pixels gives
/// cos((2x'+1)uπ/2n) · sin(g·uπ/16) / (g·sin(uπ/16)), so all eight frequencies still count,
/// with weights. For n = 1, 2, 4 that is exactly what libjpeg's reduced IDCTs compute; for
/// n = 3 (a window of 2⅔ pixels) it is the same low-pass, where libjpeg instead takes a 3-point
/// IDCT of the lowest frequencies.
struct Basis {
    n: usize,
    /// w[u][x]: output x's weight of frequency u (with JPEG's C(u)/2 normalisation); zero for
    /// x >= n, so the loops below can always run 4 wide.
    w: [[f32; 4]; 8],
}

impl Basis {
    fn new(n: usize) -> Basis {
        use std::f64::consts::{FRAC_1_SQRT_2, PI};
        let g = 8.0 / n as f64;
        let mut w = [[0f32; 4]; 8];
        for (u, row) in w.iter_mut().enumerate() {
            for (x, weight) in row.iter_mut().enumerate().take(n) {
                let d = u as f64 * PI / 16.0;
                let average = if u == 0 { 1.0 } else { (g * d).sin() / (g * d.sin()) };
                let c = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
                *weight = (c / 2.0 * average * ((2 * x + 1) as f64 * u as f64 * PI / (2.0 * n as f64)).cos()) as f32;
            }
        }
        Basis { n, w }
    }

    /// `coef` (dequantised, natural order; rows not in `rows` are zero) → n×n values ×8,
    /// level-shifted, unclamped. Leaves `coef` all zero.
    #[inline(always)]
    fn idct(&self, coef: &mut [f32; 64], rows: u8, out: &mut [i16]) {
        let n = self.n;
        if rows == 1 && coef[1..8].iter().all(|&c| c == 0.0) {
            // Flat block (sky, walls, most chroma): one value.
            out[..n * n].fill(fixed(coef[0] + 1024.0));
            coef[0] = 0.0;
            return;
        }
        // acc[y][x] = Σv w[v][y] · (Σu w[u][x] · coef[v][u]), over the rows that have coefficients.
        let mut acc = [[0f32; 4]; 4];
        for v in 0..8 {
            if rows & (1 << v) == 0 {
                continue;
            }
            let row = &mut coef[v * 8..v * 8 + 8];
            let mut t = [0f32; 4];
            for (&c, w) in row.iter().zip(&self.w) {
                for (t, w) in t.iter_mut().zip(w) {
                    *t += c * w;
                }
            }
            row.fill(0.0);
            for (acc, &c) in acc.iter_mut().zip(&self.w[v]) {
                for (a, t) in acc.iter_mut().zip(&t) {
                    *a += c * t;
                }
            }
        }
        for y in 0..n {
            for x in 0..n {
                // ×8 fixed point, +128 level shift.
                out[y * n + x] = fixed(acc[y][x] * 8.0 + 1024.0);
            }
        }
    }
}

/// Rounds to the nearest integer as i16 (saturating), without a libm call: `f32::round` is not
/// an instruction on baseline x86-64.
#[inline(always)]
fn fixed(v: f32) -> i16 {
    ((v.clamp(-32768.0, 32767.0) + 32768.5) as i32 - 32768) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use turbojpeg::{PixelFormat, ScalingFactor, Subsamp, YuvImage};

    /// A textured test picture (gradients, edges, noise), `w`×`h` RGB.
    fn picture(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut s = seed;
        let mut out = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let noise = (s % 24) as i32 - 12;
                let block = if (x / 37 + y / 23) % 3 == 0 { 60 } else { 0 };
                let base = [(x * 255 / w) as i32, (y * 255 / h) as i32, ((x + y) % 256) as i32];
                for c in base {
                    out.push((c + noise + block).clamp(0, 255) as u8);
                }
            }
        }
        out
    }

    fn encode(w: usize, h: usize, subsamp: Subsamp, quality: i32, seed: u32) -> Vec<u8> {
        let px = picture(w, h, seed);
        let (pixels, format) = if subsamp == Subsamp::Gray {
            (px.chunks_exact(3).map(|p| p[1]).collect::<Vec<u8>>(), PixelFormat::GRAY)
        } else {
            (px, PixelFormat::RGB)
        };
        let image = turbojpeg::Image { pixels: &pixels[..], width: w, pitch: w * format.size(), height: h, format };
        let mut c = turbojpeg::Compressor::new().expect("compressor");
        c.set_quality(quality).expect("quality");
        c.set_subsamp(subsamp).expect("subsamp");
        c.compress_to_vec(image).expect("compress")
    }

    /// libjpeg-turbo's own scaled decode to planes, for comparison.
    fn reference(jpeg: &[u8], n: usize) -> Vec<Vec<u8>> {
        let mut d = turbojpeg::Decompressor::new().expect("decompressor");
        let header = d.read_header(jpeg).expect("header");
        let scale = ScalingFactor::new(n, 8);
        d.set_scaling_factor(scale).expect("scale");
        let (w, h) = (scale.scale(header.width), scale.scale(header.height));
        let len = turbojpeg::yuv_pixels_len(w, 1, h, header.subsamp).expect("len");
        let mut pixels = vec![0u8; len];
        d.decompress_to_yuv(
            jpeg,
            YuvImage { pixels: &mut pixels[..], width: w, align: 1, height: h, subsamp: header.subsamp },
        )
        .expect("decode");
        let mut planes = Vec::new();
        let mut at = 0;
        let count = if header.subsamp == Subsamp::Gray { 1 } else { 3 };
        for comp in 0..count {
            // TurboJPEG's plane sizes: luma padded to whole chroma samples.
            let (sx, sy) = if header.subsamp == Subsamp::Gray { (1, 1) } else { header.subsamp.size() };
            let (lw, lh) = (w.next_multiple_of(sx), h.next_multiple_of(sy));
            let (pw, ph) = if comp == 0 { (lw, lh) } else { (lw / sx, lh / sy) };
            let (vw, vh) = if comp == 0 { (w, h) } else { (w.div_ceil(sx), h.div_ceil(sy)) };
            let plane = &pixels[at..at + pw * ph];
            planes.push(plane.chunks_exact(pw).take(vh).flat_map(|r| &r[..vw]).copied().collect());
            at += pw * ph;
        }
        planes
    }

    /// Per plane, (worst, mean) absolute difference from libjpeg-turbo's decode at `n`/8.
    fn differences(jpeg: &[u8], n: usize) -> Vec<(u8, f64)> {
        let ours = decode(jpeg, n).expect("decodes");
        let theirs = reference(jpeg, n);
        let mut planes = vec![&ours.luma];
        if let Some([cb, cr]) = &ours.chroma {
            planes.push(cb);
            planes.push(cr);
        }
        assert_eq!(planes.len(), theirs.len());
        planes
            .iter()
            .zip(&theirs)
            .map(|(a, b)| {
                assert_eq!(a.data.len(), b.len(), "plane size {}x{} at {n}/8", a.width, a.height);
                let worst = a.data.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0);
                let mean = a.data.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / b.len() as f64;
                (worst, mean)
            })
            .collect()
    }

    fn compare(jpeg: &[u8], n: usize) {
        for (i, (worst, mean)) in differences(jpeg, n).into_iter().enumerate() {
            // The same averages as libjpeg-turbo's scaled IDCTs; its integer arithmetic rounds a
            // little differently.
            assert!(worst <= 1 && mean < 0.1, "plane {i} at {n}/8: worst {worst}, mean {mean:.3}");
        }
    }

    #[test]
    fn matches_libjpeg_turbo_on_every_layout_and_scale() {
        for (subsamp, w, h) in [
            (Subsamp::Sub2x2, 1203, 907),
            (Subsamp::None, 640, 480),
            (Subsamp::Sub2x1, 515, 333),
            (Subsamp::Sub1x2, 300, 401),
            (Subsamp::Gray, 777, 555),
        ] {
            let jpeg = encode(w, h, subsamp, 90, 7);
            for n in [1, 2, 4] {
                compare(&jpeg, n);
            }
            near(&jpeg, 3);
        }
    }

    /// At 3/8 libjpeg-turbo filters differently (a 3-point IDCT of the lowest frequencies, no
    /// averaging): the pictures must still agree closely, pixel for pixel (same geometry,
    /// same levels).
    fn near(jpeg: &[u8], n: usize) {
        for (i, (_, mean)) in differences(jpeg, n).into_iter().enumerate() {
            assert!(mean < 3.0, "plane {i} at {n}/8: mean difference {mean:.3}");
        }
    }

    #[test]
    fn two_threads_meet_and_give_the_same_result() {
        for n in [3, 4] {
            two_threads_equal_one(n);
        }
    }

    fn two_threads_equal_one(n: usize) {
        // Big enough for the split path (> 64 KB of scan): the tail thread's MCUs, with their
        // DC values corrected, must equal what one thread decodes.
        let jpeg = encode(2400, 1800, Subsamp::Sub2x2, 92, 3);
        assert!(jpeg.len() > 200_000, "{}", jpeg.len());
        let frame = Frame::parse(&jpeg).expect("frame");
        let scan = Scan::new(&frame, n).expect("scan");
        let data = destuff(&jpeg[frame.scan_start..]).expect("scan data");
        let mut two = scan.planes();
        let tail = scan.entropy_decode(&data, &mut two, true).expect("decodes");
        let until = tail.as_ref().map(|t| t.until).expect("the threads met");
        assert!(until > scan.mcu_count() / 4 && until < scan.mcu_count(), "met at MCU {until}");
        scan.lay_tail(&tail, &mut two);
        let mut one = scan.planes();
        assert!(scan.entropy_decode(&data, &mut one, false).expect("sequential").is_none());
        for (ci, ((_, x), (_, y))) in two.iter().zip(&one).enumerate() {
            // Equal up to float rounding ties (the correction is exact in the ×8 fixed point).
            let differing = x.iter().zip(y).filter(|(p, q)| p != q).count();
            let worst = x.iter().zip(y).map(|(p, q)| p.abs_diff(*q)).max().unwrap_or(0);
            assert!(
                worst <= 1 && differing * 10_000 <= x.len(),
                "plane {ci} at {n}/8: {differing} differ, worst {worst}"
            );
        }
    }

    /// A real 1024×1024 flat grey frame (16,384 MCUs: enough for two threads) whose scan goes on
    /// with `extra` more bytes of valid flat blocks (DC difference 0 "00", end of block "1010":
    /// 6 bits an MCU), far more than the frame holds.
    fn long_scan(extra: usize) -> Vec<u8> {
        let pixels = vec![128u8; 1024 * 1024];
        let image =
            turbojpeg::Image { pixels: &pixels[..], width: 1024, pitch: 1024, height: 1024, format: PixelFormat::GRAY };
        let mut c = turbojpeg::Compressor::new().expect("compressor");
        c.set_subsamp(Subsamp::Gray).expect("grey");
        let jpeg = c.compress_to_vec(image).expect("compress");
        let end = jpeg.len() - 2;
        assert_eq!(jpeg[end..], [0xFF, 0xD9]);
        let mut out = jpeg[..end].to_vec();
        for _ in 0..extra / 3 {
            // Four MCUs: 001010 001010 001010 001010.
            out.extend_from_slice(&[0x28, 0xA2, 0x8A]);
        }
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    #[test]
    fn the_tail_thread_keeps_no_more_mcus_than_the_frame_has() {
        // Today's phones never write this, but a crafted file can: 1 MB of scan past a 16,384-MCU
        // frame would be 1.4 million MCUs (45 MB of values at 4/8) if B decoded to the end.
        let jpeg = long_scan(1 << 20);
        let frame = Frame::parse(&jpeg).expect("frame");
        let scan = Scan::new(&frame, 4).expect("scan");
        let data = destuff(&jpeg[frame.scan_start..]).expect("scan data");
        let (send, _landmarks) = mpsc::sync_channel(1);
        let start_bit = (data.len() - 8) * 8 / 100 * 47;
        let stop = AtomicUsize::new(scan.mcu_count());
        let (values, decoded) =
            scan.speculate(&data, start_bit, &send, &AtomicBool::new(false), &stop).expect("B decodes");
        let cap = scan.mcu_count();
        assert!(decoded <= cap, "B decoded {decoded} MCUs of a {cap}-MCU frame");
        assert!(values.capacity() <= cap * scan.mcu_len(), "B kept {} values", values.capacity());
        // The picture is still the frame's: flat grey.
        let planes = decode(&jpeg, 4).expect("decodes");
        assert_eq!((planes.luma.width, planes.luma.height), (512, 512));
        assert!(planes.luma.data.iter().all(|&p| p.abs_diff(128) <= 1));
    }

    #[test]
    fn a_frame_over_the_pixel_limit_is_not_taken() {
        // 60000×60000 grey, tables and all: refused from the header, before any plane is made.
        let mut jpeg = long_scan(0);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF0");
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
        assert!(Frame::parse(&jpeg).is_none());
        assert!(decode(&jpeg, 1).is_none());
    }

    /// libjpeg-turbo's planes at `n`/8, or `None` when it refuses or warns (damaged data).
    fn reference_if_clean(jpeg: &[u8], n: usize) -> Option<Vec<Vec<u8>>> {
        let mut d = turbojpeg::Decompressor::new().ok()?;
        let header = d.read_header(jpeg).ok()?;
        let scale = ScalingFactor::new(n, 8);
        d.set_scaling_factor(scale).ok()?;
        let (w, h) = (scale.scale(header.width), scale.scale(header.height));
        let mut pixels = vec![0u8; turbojpeg::yuv_pixels_len(w, 1, h, header.subsamp).ok()?];
        let image = YuvImage { pixels: &mut pixels[..], width: w, align: 1, height: h, subsamp: header.subsamp };
        d.decompress_to_yuv(jpeg, image).ok()?;
        Some(reference(jpeg, n))
    }

    /// `decode`, also saying whether the two threads met.
    fn decode_on_two(bytes: &[u8], n: usize) -> Option<(Planes, bool)> {
        let frame = Frame::parse(bytes)?;
        let scan = Scan::new(&frame, n)?;
        let data = destuff(&bytes[frame.scan_start..])?;
        let mut planes = scan.planes();
        let tail = scan.entropy_decode(&data, &mut planes, true)?;
        let met = tail.is_some();
        scan.lay_tail(&tail, &mut planes);
        Some((scan.crop(&frame, planes), met))
    }

    #[test]
    fn damaged_files_on_two_threads_never_panic_and_agree_with_libjpeg_turbo() {
        // Panics on the tail thread would be hidden by its join: count them all.
        static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| {
            PANICS.fetch_add(1, Ordering::Relaxed);
            eprintln!("{info}");
        }));
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below.max(1) as u64) as usize
        };
        let (mut agreed, mut met, mut refused) = (0, 0, 0);
        // Both 16,384 MCUs and > 64 KB of scan: the two-thread path.
        for subsamp in [Subsamp::Gray, Subsamp::None] {
            let jpeg = encode(1024, 1024, subsamp, 90, 11);
            let scan_start = Frame::parse(&jpeg).expect("frame").scan_start;
            let scan_len = jpeg.len() - 2 - scan_start;
            for i in 0..60 {
                let mut m = jpeg.clone();
                let at = scan_start + next(scan_len);
                match i % 5 {
                    0 => {
                        for _ in 0..1 + next(8) {
                            let at = scan_start + next(scan_len);
                            m[at] ^= 1 << next(8);
                        }
                    }
                    1 => m.iter_mut().skip(at).take(1 + next(16)).for_each(|b| *b = next(256) as u8),
                    2 => {
                        // A stretch of the scan again: a scan longer than its frame.
                        let stretch = m[at..at + next(jpeg.len() - 2 - at)].to_vec();
                        m.splice(at..at, stretch);
                    }
                    3 => {
                        m.drain(at..at + next(jpeg.len() - 2 - at));
                    }
                    _ => {
                        m.truncate(at);
                        m.extend_from_slice(&[0xFF, 0xD9]);
                    }
                }
                let n = 3 + i % 2;
                let Some((ours, both)) = decode_on_two(&m, n) else {
                    refused += 1;
                    continue;
                };
                met += usize::from(both);
                let Some(theirs) = reference_if_clean(&m, n) else { continue };
                agreed += 1;
                let mut planes = vec![&ours.luma];
                planes.extend(ours.chroma.iter().flatten());
                for (p, (a, b)) in planes.iter().zip(&theirs).enumerate() {
                    assert_eq!(a.data.len(), b.len(), "mutant {i}, plane {p}: size");
                    let mean =
                        a.data.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / b.len() as f64;
                    // At 3/8 libjpeg-turbo filters differently (see `near`).
                    let bound = if n == 3 { 3.0 } else { 0.1 };
                    assert!(mean < bound, "mutant {i} at {n}/8, plane {p}: mean difference {mean:.3}");
                }
            }
        }
        let _ = std::panic::take_hook();
        assert_eq!(PANICS.load(Ordering::Relaxed), 0, "panics (printed above)");
        // Not vacuous: the threads met on damaged files, some were compared, some refused.
        assert!(met >= 10 && agreed >= 10 && refused >= 10, "met {met}, compared {agreed}, refused {refused}");
    }

    #[test]
    fn what_it_does_not_take_goes_elsewhere() {
        let progressive = {
            let px = picture(64, 48, 1);
            let image =
                turbojpeg::Image { pixels: &px[..], width: 64, pitch: 64 * 3, height: 48, format: PixelFormat::RGB };
            let mut c = turbojpeg::Compressor::new().expect("compressor");
            c.set_progressive(true).expect("progressive");
            c.compress_to_vec(image).expect("compress")
        };
        assert!(decode(&progressive, 4).is_none());
        let jpeg = encode(640, 480, Subsamp::Sub2x2, 90, 5);
        assert!(decode(&jpeg[..jpeg.len() / 2], 4).is_none(), "cut off");
        assert!(decode(&jpeg, 8).is_none(), "full size is libjpeg-turbo's");
        let mut damaged = jpeg.clone();
        for b in damaged[1000..1400].iter_mut() {
            *b = 0xFF;
        }
        assert!(decode(&damaged, 4).is_none());
    }
}
