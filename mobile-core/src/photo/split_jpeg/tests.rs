//! The decoder against libjpeg-turbo: every chroma layout at every scale, the two threads
//! meeting and giving what one thread gives, a scan far longer than its frame, a frame over the
//! pixel limit, damaged files on the two-thread path, and the files it leaves to libjpeg-turbo.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::frame::{Frame, destuff};
use super::scan::Scan;
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
        assert!(worst <= 1 && differing * 10_000 <= x.len(), "plane {ci} at {n}/8: {differing} differ, worst {worst}");
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
    let (values, decoded) = scan.speculate(&data, start_bit, &send, &AtomicBool::new(false), &stop).expect("B decodes");
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
                let mean = a.data.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / b.len() as f64;
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
