//! Thousands of damaged real JPEGs through photo ingest, each judged against libjpeg-turbo.
//!
//! Every layout a phone or an editor writes (4:2:0, 4:4:4, 4:2:2, grey, progressive, restart
//! markers) is damaged deterministically (a seeded xorshift): cut off, bits flipped in the header
//! or in the scan, marker segments swapped, duplicated or removed, bytes overwritten (0xFF ones
//! make markers), the frame's size set to anything. For each mutant:
//! - nothing panics (a panic hook counts them: the decoders' guard would turn one into an error);
//! - what libjpeg-turbo decodes without a warning, ingest decodes too, at the same size, and when
//!   the headers are intact its preview shows the same picture (decoded at 4/8 by our own decoder
//!   for baseline files, then re-encoded; plane-for-plane agreement is split_jpeg's unit test);
//! - what libjpeg-turbo refuses, ingest refuses with a typed error or decodes another way;
//! - a frame over the pixel limit is refused as `TooLarge`, before any pixel is decoded.

use std::sync::{Mutex, Once};

use mobile_core::photo::{IngestOptions, IngestedPhoto, MAX_PIXELS, PhotoError, ingest_bytes};
use turbojpeg::{PixelFormat, ScalingFactor, Subsamp};

const WIDTH: usize = 256;
const HEIGHT: usize = 192;
/// The preview is the 4/8-scale decode itself (128×96): our own decoder takes baseline files.
const OPTIONS: IngestOptions = IngestOptions { thumbnail_edge: 32, preview_edge: 128 };
const MUTANTS_PER_LAYOUT: usize = 500;

static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{info}");
            PANICS.lock().unwrap_or_else(|e| e.into_inner()).push(info.to_string());
        }));
    });
}

/// xorshift64*: deterministic mutants with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Smooth gradients, hard edges and mild noise: a photo's kinds of blocks.
fn picture(seed: u32) -> Vec<u8> {
    let mut s = seed;
    let mut out = Vec::with_capacity(WIDTH * HEIGHT * 3);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let noise = (s % 9) as i32 - 4;
            let block = if (x / 37 + y / 23) % 3 == 0 { 70 } else { 0 };
            for c in [x * 255 / WIDTH, y * 255 / HEIGHT, (x + 2 * y) % 256] {
                out.push((c as i32 + noise + block).clamp(0, 255) as u8);
            }
        }
    }
    out
}

fn turbo(subsamp: Subsamp, progressive: bool) -> Vec<u8> {
    let rgb = picture(7);
    let (pixels, format) = if subsamp == Subsamp::Gray {
        (rgb.chunks_exact(3).map(|p| p[1]).collect(), PixelFormat::GRAY)
    } else {
        (rgb, PixelFormat::RGB)
    };
    let image =
        turbojpeg::Image { pixels: &pixels[..], width: WIDTH, pitch: WIDTH * format.size(), height: HEIGHT, format };
    let mut c = turbojpeg::Compressor::new().expect("compressor");
    c.set_quality(90).expect("quality");
    c.set_subsamp(subsamp).expect("subsampling");
    c.set_progressive(progressive).expect("progressive");
    c.compress_to_vec(image).expect("compress")
}

/// 4:2:0 with a restart marker every 4 MCUs (another encoder, its own tables).
fn with_restarts() -> Vec<u8> {
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_restart_interval(4);
    enc.encode(&picture(7), WIDTH as u16, HEIGHT as u16, jpeg_encoder::ColorType::Rgb).expect("encode");
    jpeg
}

/// The marker segments before the scan: (start, end) of each, from after SOI up to SOS.
fn segments(jpeg: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        out.push((at, at + 2 + len));
        at += 2 + len;
    }
    out
}

/// Where the first frame header's height field is (SOF0..SOF2), if there is one.
fn frame_size_at(jpeg: &[u8]) -> Option<usize> {
    segments(jpeg).into_iter().find(|&(s, _)| matches!(jpeg[s + 1], 0xC0..=0xC2)).map(|(s, _)| s + 5)
}

/// One damaged copy of `jpeg`, and whether its frame was made larger than the pixel limit.
fn mutate(jpeg: &[u8], rng: &mut Rng) -> (Vec<u8>, bool) {
    let mut m = jpeg.to_vec();
    let segs = segments(jpeg);
    let scan_start = segs.last().map_or(2, |s| s.1);
    let mut too_large = false;
    match rng.below(8) {
        // Cut off anywhere, sometimes with an end-of-image marker put back.
        0 => {
            m.truncate(2 + rng.below(jpeg.len() - 2));
            if rng.below(2) == 0 {
                m.extend_from_slice(&[0xFF, 0xD9]);
            }
        }
        // Bits flipped in the headers.
        1 => {
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(scan_start);
                m[at] ^= 1 << rng.below(8);
            }
        }
        // Bits flipped in the scan.
        2 => {
            for _ in 0..1 + rng.below(8) {
                let at = scan_start + rng.below(jpeg.len() - scan_start);
                m[at] ^= 1 << rng.below(8);
            }
        }
        // Segments swapped, duplicated or removed.
        3 => {
            let (a, b) = (segs[rng.below(segs.len())], segs[rng.below(segs.len())]);
            let body = |s: (usize, usize)| jpeg[s.0..s.1].to_vec();
            let mut parts: Vec<Vec<u8>> = segs.iter().map(|&s| body(s)).collect();
            let (i, j) =
                (segs.iter().position(|&s| s == a).unwrap_or(0), segs.iter().position(|&s| s == b).unwrap_or(0));
            match rng.below(3) {
                0 => parts.swap(i, j),
                1 => parts.insert(j, body(a)),
                _ => {
                    parts.remove(i);
                }
            }
            m = jpeg[..2].to_vec();
            m.extend(parts.concat());
            m.extend_from_slice(&jpeg[scan_start..]);
        }
        // The frame's size set to anything (0, small, huge).
        4 => {
            if let Some(at) = frame_size_at(jpeg) {
                let pick = |rng: &mut Rng| match rng.below(4) {
                    0 => 0,
                    1 => 65_535,
                    2 => rng.below(65_536) as u16,
                    _ => rng.below(600) as u16,
                };
                let (h, w) = (pick(rng), pick(rng));
                m[at..at + 2].copy_from_slice(&h.to_be_bytes());
                m[at + 2..at + 4].copy_from_slice(&w.to_be_bytes());
                too_large = u64::from(w) * u64::from(h) > MAX_PIXELS;
            }
        }
        // A run of bytes overwritten, often with 0xFF (a marker in the scan).
        5 => {
            let at = 2 + rng.below(jpeg.len() - 2);
            for b in m.iter_mut().skip(at).take(1 + rng.below(16)) {
                *b = if rng.below(2) == 0 { 0xFF } else { rng.next() as u8 };
            }
        }
        // A restart or other marker dropped into the scan.
        6 => {
            let at = scan_start + rng.below(jpeg.len() - scan_start);
            let marker = [0xD0 + rng.below(8) as u8, 0xD9, 0xDA, 0xC4, 0x00][rng.below(5)];
            m.splice(at..at, [0xFF, marker]);
        }
        // A stretch of the scan repeated (a scan longer than its frame) or removed.
        _ => {
            let at = scan_start + rng.below(jpeg.len() - scan_start);
            let len = rng.below(jpeg.len() - at);
            if rng.below(2) == 0 {
                let stretch = m[at..at + len].to_vec();
                m.splice(at..at, stretch);
            } else {
                m.drain(at..at + len);
            }
        }
    }
    (m, too_large)
}

/// libjpeg-turbo's 4/8-scale RGB decode, or `None` when it refuses or warns (damaged data).
fn libjpeg_turbo(jpeg: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    let mut d = turbojpeg::Decompressor::new().expect("decompressor");
    let header = d.read_header(jpeg).ok()?;
    if u64::try_from(header.width * header.height).ok()? > MAX_PIXELS {
        return None;
    }
    let scale = ScalingFactor::ONE_HALF;
    d.set_scaling_factor(scale).ok()?;
    let (w, h) = (scale.scale(header.width), scale.scale(header.height));
    let mut pixels = vec![0u8; w * h * 3];
    let image =
        turbojpeg::Image { pixels: &mut pixels[..], width: w, pitch: w * 3, height: h, format: PixelFormat::RGB };
    d.decompress(jpeg, image).ok()?;
    Some((w, h, pixels))
}

/// The mean absolute difference between `preview` (a JPEG) and `reference` (RGB of the same
/// size). The preview is encoded again, 4:2:0, which blurs colour edges (and damaged blocks are
/// full of them), so this is a coarse test of "the same picture"; block for block agreement with
/// libjpeg-turbo is split_jpeg's unit test on damaged files.
fn difference(preview: &[u8], w: usize, h: usize, reference: &[u8]) -> f64 {
    let ours = turbojpeg::decompress(preview, PixelFormat::RGB).expect("the preview decodes");
    assert_eq!((ours.width, ours.height), (w, h), "preview size");
    let sum: u64 = (0..h)
        .flat_map(|y| ours.pixels[y * ours.pitch..][..w * 3].iter().zip(&reference[y * w * 3..][..w * 3]))
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    sum as f64 / (w * h * 3) as f64
}

/// How the mutants of one layout fared.
#[derive(Debug, Default)]
struct Tally {
    both_decoded: usize,
    both_refused: usize,
    only_ingest_decoded: usize,
    too_large: usize,
}

fn check_mutants(original: &[u8], seed: u64) -> Tally {
    count_panics();
    // The unmutated file: both decode, and its preview's difference sets the bar for mutants.
    let (w, h, reference) = libjpeg_turbo(original).expect("libjpeg-turbo decodes the original");
    let photo = ingest_bytes(original, &OPTIONS).expect("ingest takes the original");
    let base = difference(&photo.preview_jpeg, w, h, &reference);
    assert!(base < 5.0, "the original's preview differs from libjpeg-turbo's decode by {base:.2} on average");

    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    let scan_start = segments(original).last().map_or(2, |s| s.1);
    for i in 0..MUTANTS_PER_LAYOUT {
        let (mutant, too_large) = mutate(original, &mut rng);
        let ours: Result<IngestedPhoto, PhotoError> = ingest_bytes(&mutant, &OPTIONS);
        let theirs = libjpeg_turbo(&mutant);
        if too_large {
            tally.too_large += 1;
            assert!(matches!(ours, Err(PhotoError::TooLarge { .. })), "mutant {i}: over the limit, got {ours:?}");
            continue;
        }
        match (ours, theirs) {
            (Ok(photo), Some((w, h, reference))) => {
                tally.both_decoded += 1;
                assert_eq!((photo.width as usize, photo.height as usize), (w * 2, h * 2), "mutant {i}: size");
                // A damaged table (a quantiser of 204 for 4) makes saturated colour noise, which the
                // preview's own 4:2:0 encoding cannot keep: compare pictures only with intact headers.
                if mutant[..scan_start] != original[..scan_start] {
                    continue;
                }
                let d = difference(&photo.preview_jpeg, w, h, &reference);
                assert!(
                    d <= base + 6.0,
                    "mutant {i}: preview differs from libjpeg-turbo's decode by {d:.2} on average"
                );
            }
            (Err(e), Some(_)) => panic!("mutant {i}: libjpeg-turbo decodes it cleanly, ingest refused: {e}"),
            (Ok(photo), None) => {
                // libjpeg-turbo warned; a fallback decoder (or ours, reading a frame whose scan
                // runs on) still made a picture of the frame's size.
                tally.only_ingest_decoded += 1;
                assert!(u64::from(photo.width) * u64::from(photo.height) <= MAX_PIXELS);
            }
            (Err(e), None) => {
                tally.both_refused += 1;
                assert!(!e.to_string().contains("gave up"), "mutant {i}: a decoder panicked: {e}");
            }
        }
    }
    let panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
    assert!(panics.is_empty(), "{} panics, the first: {}", panics.len(), panics[0]);
    // Not vacuous: many mutants are decoded by both and many refused by both.
    assert!(
        tally.both_decoded >= MUTANTS_PER_LAYOUT / 10 && tally.both_refused >= MUTANTS_PER_LAYOUT / 10,
        "{tally:?}"
    );
    eprintln!("{tally:?}");
    tally
}

#[test]
fn mutants_of_a_4_2_0_jpeg() {
    check_mutants(&turbo(Subsamp::Sub2x2, false), 1);
}

#[test]
fn mutants_of_a_4_4_4_jpeg() {
    check_mutants(&turbo(Subsamp::None, false), 2);
}

#[test]
fn mutants_of_a_4_2_2_jpeg() {
    check_mutants(&turbo(Subsamp::Sub2x1, false), 3);
}

#[test]
fn mutants_of_a_grey_jpeg() {
    check_mutants(&turbo(Subsamp::Gray, false), 4);
}

#[test]
fn mutants_of_a_progressive_jpeg() {
    check_mutants(&turbo(Subsamp::Sub2x2, true), 5);
}

#[test]
fn mutants_of_a_jpeg_with_restart_markers() {
    check_mutants(&with_restarts(), 6);
}
