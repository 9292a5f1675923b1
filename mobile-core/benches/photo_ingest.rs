//! Photo ingest speed on a 12-megapixel JPEG, against the naive `image` path.
//!
//! `cargo bench -p mobile-core --bench photo_ingest`
//!
//! Prints criterion's figures for both paths, then its own interleaved timed loop and the
//! line `photo_ingest/ratio ingest/baseline = R (goal <= 0.33)`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use mobile_core::photo::{IngestOptions, ingest_file};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

/// A 4000×3000 "photo": a sky-to-ground gradient, soft light blobs, a few hard-edged
/// "building" blocks with window grids, and residual sensor noise, saved as a quality-92 4:2:0
/// JPEG like a phone camera's.
fn make_photo(path: &Path) -> std::io::Result<u64> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let mut seed: u32 = 0x9E37_79B9;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let blocks: Vec<(usize, usize, usize, usize, [i32; 3])> = (0..14)
        .map(|i| {
            let x0 = (rand() as usize) % (w - 600);
            let y0 = h / 3 + (rand() as usize) % (h / 2);
            let bw = 200 + (rand() as usize) % 600;
            let bh = 300 + (rand() as usize) % 900;
            let shade = 60 + (i * 11) % 120;
            (x0, y0, bw, bh, [shade, shade - 10 + (i % 5) * 8, shade - 25])
        })
        .collect();
    for y in 0..h {
        for x in 0..w {
            let fy = y as f32 / h as f32;
            let fx = x as f32 / w as f32;
            let mut c = if fy < 0.4 {
                [(110.0 + 80.0 * fy) as i32, (150.0 + 60.0 * fy) as i32, (230.0 - 40.0 * fy) as i32]
            } else {
                let t = (fx * 9.0 + fy * 5.0).sin() * 18.0 + (fx * 41.0).sin() * (fy * 37.0).cos() * 12.0;
                [(120.0 + t) as i32, (105.0 + t * 0.8) as i32, (80.0 + t * 0.5) as i32]
            };
            for &(x0, y0, bw, bh, shade) in &blocks {
                if (x0..x0 + bw).contains(&x) && (y0..(y0 + bh).min(h)).contains(&y) {
                    c = shade;
                    if (x - x0) % 60 > 38 && (y - y0) % 80 > 50 {
                        c = [30, 40, 55]; // windows
                    }
                }
            }
            let noise = (rand() % 13) as i32 - 6; // after the phone's denoising
            let px = &mut rgb[(y * w + x) * 3..][..3];
            for (p, v) in px.iter_mut().zip(c) {
                *p = (v + noise).clamp(0, 255) as u8;
            }
        }
    }
    // Phone cameras write 4:2:0 chroma (iPhone, Pixel, Huawei and Xiaomi alike), which `image`'s
    // encoder cannot: jpeg-encoder can.
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 92);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.encode(&rgb, WIDTH as u16, HEIGHT as u16, jpeg_encoder::ColorType::Rgb).map_err(std::io::Error::other)?;
    std::fs::write(path, &jpeg)?;
    Ok(jpeg.len() as u64)
}

fn run_ingest(path: &Path, opts: &IngestOptions) {
    match ingest_file(path, opts) {
        Ok(photo) => {
            black_box(photo);
        }
        Err(e) => panic!("ingest failed: {e}"),
    }
}

fn run_baseline(path: &Path) {
    match image::open(path) {
        Ok(img) => {
            black_box(img.thumbnail(256, 256));
        }
        Err(e) => panic!("baseline decode failed: {e}"),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    let path: PathBuf = dir.path().join("site-photo-12mp.jpg");
    let started = Instant::now();
    let size = match make_photo(&path) {
        Ok(s) => s,
        Err(e) => panic!("writing the test photo: {e}"),
    };
    println!(
        "photo_ingest: generated {WIDTH}x{HEIGHT} JPEG, {:.2} MB, in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let opts = IngestOptions::default();
    let test_mode = std::env::args().any(|a| a == "--test");

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .configure_from_args();
    {
        let mut group = c.benchmark_group("photo_ingest");
        group.bench_function("ingest_file", |b| b.iter(|| run_ingest(&path, &opts)));
        group.bench_function("baseline_image_open_thumbnail", |b| b.iter(|| run_baseline(&path)));
        group.finish();
    }
    c.final_summary();

    // Own loop: interleaved, so both paths see the same machine conditions.
    let rounds = if test_mode { 1 } else { 15 };
    run_ingest(&path, &opts);
    run_baseline(&path);
    let (mut ingest, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        run_ingest(&path, &opts);
        ingest.push(t.elapsed());
        let t = Instant::now();
        run_baseline(&path);
        baseline.push(t.elapsed());
    }
    let (i, b) = (median(ingest), median(baseline));

    // Context for reading the ratio: what decoding alone costs. Entropy (Huffman) decoding
    // reads every byte of the file at any DCT scale, so the 1/8-scale decode is the floor
    // for any ingest built on DCT-scaled decoding.
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => panic!("reading the test photo: {e}"),
    };
    let time = |f: &dyn Fn()| {
        median(
            (0..rounds.clamp(1, 5))
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .collect(),
        )
    };
    let scaled_decode = |num: usize| {
        let scale = turbojpeg::ScalingFactor::new(num, 8);
        let (w, h) = (scale.scale(WIDTH as usize), scale.scale(HEIGHT as usize));
        let mut pixels = vec![0u8; w * h * 3];
        let image = turbojpeg::Image {
            pixels: &mut pixels[..],
            width: w,
            pitch: w * 3,
            height: h,
            format: turbojpeg::PixelFormat::RGB,
        };
        let decoded = turbojpeg::Decompressor::new()
            .and_then(|mut d| d.set_scaling_factor(scale).map(|_| d))
            .and_then(|mut d| d.decompress(&bytes, image));
        if let Err(e) = decoded {
            panic!("libjpeg-turbo: {e}");
        }
        black_box(pixels);
    };
    let full = time(&|| {
        black_box(image::load_from_memory(&bytes).ok());
    });
    let tj_full = time(&|| scaled_decode(8));
    let half = time(&|| scaled_decode(4));
    let three_eighths = time(&|| scaled_decode(3));
    let eighth = time(&|| scaled_decode(1));
    println!(
        "photo_ingest/context decode only: image::load_from_memory (full size) = {:.1} ms, \
         libjpeg-turbo full size = {:.1} ms, at 1/2 = {:.1} ms, at 3/8 = {:.1} ms, \
         at 1/8 (entropy-decoding floor) = {:.1} ms",
        ms(full),
        ms(tj_full),
        ms(half),
        ms(three_eighths),
        ms(eighth)
    );
    println!(
        "photo_ingest/own-loop medians over {rounds} interleaved rounds: ingest_file = {:.1} ms, \
         baseline image::open+thumbnail = {:.1} ms",
        ms(i),
        ms(b)
    );
    println!("photo_ingest/ratio ingest/baseline = {:.2} (goal <= 0.33)", ms(i) / ms(b));
}
