//! A photo whose pixels would not fit in memory is refused by its header (issue 17, item 9(d)): a
//! real 13,000 x 13,000 PNG is a small file well within the upload limit but decodes to ~500 MB.
//! Uploaded through the real tus endpoint, it is refused with a 422 naming the pixel limit, nothing
//! of it is kept, and the server keeps serving (a normal photo still goes through).

mod blobkit;
mod common;

use std::io::Write;

use blobkit::*;
use common::*;

/// A solid grey `side` x `side` RGB PNG, written row by row so the test never holds its pixels.
fn big_png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().expect("png header");
    let mut stream = writer.stream_writer().expect("png stream");
    let row = vec![128u8; side as usize * 3];
    for _ in 0..side {
        stream.write_all(&row).expect("png row");
    }
    stream.finish().expect("png end");
    writer.finish().expect("png trailer");
    out
}

#[test]
fn a_png_of_too_many_pixels_is_refused_by_its_header() {
    let dir = tempfile::tempdir().expect("dir");
    let auth = format!("Bearer {}", token(dir.path(), None, "P1"));
    let server = start(dir.path());
    let addr = server.addr.as_str();

    let bomb = big_png(13_000);
    assert!(bomb.len() < 8 << 20, "a small file within the upload limit: {} bytes", bomb.len());
    let (path, r) = upload(addr, &auth, &bomb);
    assert_eq!(r.status, 422, "{r:?}");
    let v = r.json();
    assert_eq!((v["error"].as_str(), v["field"].as_str()), (Some("image_too_large"), Some("file")), "{v}");
    let message = v["message"].as_str().expect("message");
    assert!(message.contains("13000 x 13000") && message.contains("100 megapixels"), "names the size and limit: {v}");

    // Nothing is kept: not the upload, not its bytes, not a blob.
    let sha = sha256_hex(&bomb);
    assert_eq!(request(addr, "HEAD", &path, &[TUS, ("Authorization", &auth)], b"").status, 404, "the upload is gone");
    assert_eq!(request(addr, "GET", &format!("/v1/blobs/{sha}"), &[("Authorization", &auth)], b"").status, 404);
    assert_eq!(count(dir.path(), None, "SELECT count(*) FROM blobs"), 0);
    assert_eq!(count(dir.path(), None, "SELECT count(*) FROM uploads"), 0);
    assert!(files_under(&dir.path().join("uploads")).is_empty(), "no upload bytes left");
    assert!(files_under(&dir.path().join("blobs")).is_empty(), "no stored blob");

    // The server keeps serving, and a normal photo still goes through.
    let (s, b) = get(addr, "/healthz");
    assert_eq!(s, 200, "{b}");
    let photo = jpeg(1200, 900, 3, true);
    let (_, r) = upload(addr, &auth, &photo);
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(count(dir.path(), None, "SELECT count(*) FROM blobs"), 1);
}
