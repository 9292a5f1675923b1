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

mod frame;
mod huffman;
mod idct;
mod scan;
#[cfg(test)]
mod tests;

use super::decode::Raster;
use frame::{Frame, destuff};
use scan::Scan;

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
