//! The scaled inverse DCT: a basis of averaged cosines for output n×n (n = 1..=4) computed once
//! per decode, and the transform of one dequantised block through it into fixed-point values
//! (×8, level-shifted, unclamped), skipping rows without coefficients and flat blocks.

/// The scaled inverse DCT: each output pixel is the average of the 8×8 IDCT's pixels over the
/// 8/n-wide window it stands for. Averaging the basis cos((2x+1)uπ/16) over g = 8/n pixels gives
/// cos((2x'+1)uπ/2n) · sin(g·uπ/16) / (g·sin(uπ/16)), so all eight frequencies still count,
/// with weights. For n = 1, 2, 4 that is exactly what libjpeg's reduced IDCTs compute; for
/// n = 3 (a window of 2⅔ pixels) it is the same low-pass, where libjpeg instead takes a 3-point
/// IDCT of the lowest frequencies.
pub(super) struct Basis {
    n: usize,
    /// w[u][x]: output x's weight of frequency u (with JPEG's C(u)/2 normalisation); zero for
    /// x >= n, so the loops below can always run 4 wide.
    w: [[f32; 4]; 8],
}

impl Basis {
    pub(super) fn new(n: usize) -> Basis {
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
    pub(super) fn idct(&self, coef: &mut [f32; 64], rows: u8, out: &mut [i16]) {
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
