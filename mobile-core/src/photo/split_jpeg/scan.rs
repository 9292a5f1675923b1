//! The scan: decoding MCUs (Huffman symbols to dequantised coefficients to each block's scaled
//! IDCT), the two decoders of the module's scheme (A from the start, laying its blocks into the
//! planes as it goes, and B, the speculative tail thread, from the middle, publishing where its
//! MCUs start until A meets it), laying B's blocks in with their DC correction, and cutting the
//! padded planes to the picture's size.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::Planes;
use super::frame::{Component, Frame, NATURAL};
use super::huffman::{Bits, Huffman, LOOKUP_BITS};
use super::idct::Basis;
use crate::photo::decode::{Channels, Raster};

/// Where B publishes MCU starts: (bit position, its MCU number, its DC predictors there).
pub(super) type Landmark = (usize, usize, [i32; 3]);

/// MCUs B decodes before it starts publishing (so most garbage from a misaligned start is past).
const WARM_UP_MCUS: usize = 8;
/// MCU starts B publishes; A looks for its own among them.
const LANDMARKS: usize = 4096;

pub(super) struct Scan {
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
pub(super) struct Tail {
    values: Vec<i16>,
    from: usize,
    pub(super) until: usize,
    delta: [i32; 3],
}

/// Padded planes (whole MCUs): (row length, pixels) per component.
pub(super) type PlaneBufs = Vec<(usize, Vec<u8>)>;

impl Scan {
    pub(super) fn new(f: &Frame, n: usize) -> Option<Scan> {
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

    pub(super) fn mcu_len(&self) -> usize {
        self.blocks.len() * self.n * self.n
    }

    pub(super) fn mcu_count(&self) -> usize {
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
    pub(super) fn entropy_decode(&self, data: &[u8], planes: &mut PlaneBufs, split: bool) -> Option<Option<Tail>> {
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
    pub(super) fn speculate(
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
    pub(super) fn planes(&self) -> PlaneBufs {
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
    pub(super) fn lay_tail(&self, tail: &Option<Tail>, planes: &mut PlaneBufs) {
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
    pub(super) fn crop(&self, f: &Frame, planes: PlaneBufs) -> Planes {
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
