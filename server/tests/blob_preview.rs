//! `GET /v1/blobs/{sha256}/preview` against the real server binary (issue 25: a phone drops the
//! previews of old uploaded photos and fetches one back instead of the 3–6 MB original): the preview
//! is made on the first request, kept in the blob store and served from there, upright, at most 1280
//! px on its long side, only to the project's devices. On SQLite and PostgreSQL with the filesystem
//! store, and on the object store adapter (`--blob-store memory`).

mod blobkit;
mod common;

use blobkit::*;
use common::*;

fn get(addr: &str, token: &str, path: &str) -> Resp {
    request(addr, "GET", path, &[("Authorization", &format!("Bearer {token}"))], b"")
}

fn uploaded(addr: &str, token: &str, bytes: &[u8]) -> String {
    let sha = sha256_hex(bytes);
    let (_, r) = upload_declaring(addr, &format!("Bearer {token}"), bytes, &sha);
    assert_eq!(r.status, 204, "upload: {r:?}");
    sha
}

/// A `w` x `h` JPEG: a gradient with a pure red block in its stored top-left corner (a quarter of
/// each side), so orientation can be seen; with an EXIF `Orientation` when `orientation` is given.
fn photo(w: u32, h: u32, orientation: Option<u16>) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 {
            image::Rgb([230, 20, 20])
        } else {
            image::Rgb([40, (x * 200 / w) as u8, (y * 200 / h) as u8])
        }
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img).expect("encode jpeg");
    match orientation {
        Some(o) => with_orientation(&jpeg, o),
        None => jpeg,
    }
}

/// `jpeg` with an EXIF APP1 segment holding only `Orientation`, after SOI (and JFIF APP0, if any).
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // Big-endian TIFF header, one IFD at offset 8 with one SHORT entry (tag 0x0112), no next IFD.
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut at = 2;
    if jpeg[2..4] == [0xFF, 0xE0] {
        at += 2 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let len = u16::try_from(2 + 6 + tiff.len()).expect("small EXIF");
    let mut out = jpeg[..at].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[at..]);
    out
}

fn decoded_jpeg(r: &Resp) -> image::RgbImage {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(image::guess_format(&r.body).expect("format"), image::ImageFormat::Jpeg);
    image::load_from_memory(&r.body).expect("the preview decodes").to_rgb8()
}

fn is_red(p: image::Rgb<u8>) -> bool {
    p.0[0] > 180 && p.0[1] < 80 && p.0[2] < 80
}

/// A stored preview's bytes by its photo's hash, where the test can see the store (the filesystem's).
type Stored<'a> = Option<&'a dyn Fn(&str) -> Option<Vec<u8>>>;

/// The whole story on a server at `addr`, with two devices of P1 and one of P2.
fn story(addr: &str, tokens: [&str; 3], stored: Stored<'_>) {
    let [a, b, c] = tokens;
    let original = photo(4000, 3000, None);
    let sha = uploaded(addr, a, &original);
    let path = format!("/v1/blobs/{sha}/preview");

    // Another project's device, an unknown photo, a malformed hash, no token: refused, nothing made.
    let r = get(addr, c, &path);
    assert_eq!((r.status, r.json()["field"].as_str()), (404, Some("sha256")), "another project: {r:?}");
    assert!(!String::from_utf8_lossy(&r.body).contains("P1"), "nothing leaks: {r:?}");
    let r = get(addr, a, &format!("/v1/blobs/{}/preview", sha256_hex(b"no such photo")));
    assert_eq!((r.status, r.json()["field"].as_str()), (404, Some("sha256")), "unknown: {r:?}");
    // Every blob route alike.
    for bad in ["not-a-hash", &sha.to_uppercase(), &sha[..63]] {
        for route in
            [format!("/v1/blobs/{bad}/preview"), format!("/v1/blobs/{bad}/thumbnail"), format!("/v1/blobs/{bad}")]
        {
            let r = get(addr, a, &route);
            assert_eq!((r.status, r.json()["field"].as_str()), (400, Some("sha256")), "{route}: {r:?}");
        }
    }
    assert_eq!(request(addr, "GET", &path, &[], b"").status, 401);
    if let Some(stored) = stored {
        assert_eq!(stored(&sha), None, "no preview is made before a device of the project asks");
    }

    // The first request makes it: a 1280 x 960 JPEG, the aspect kept, far smaller than the original.
    let first = get(addr, b, &path);
    let img = decoded_jpeg(&first);
    assert_eq!(img.dimensions(), (1280, 960));
    assert_eq!(first.header("etag"), Some(format!("\"{sha}-preview\"").as_str()));
    assert_eq!(first.header("cache-control"), Some("private, max-age=31536000, immutable"));
    assert!(is_red(*img.get_pixel(20, 20)) && !is_red(*img.get_pixel(1260, 940)), "not turned");
    assert!(first.body.len() * 4 < original.len(), "preview {} bytes vs {}", first.body.len(), original.len());

    // Kept under `previews/<sha256>.jpg` and served from there afterwards.
    let second = get(addr, a, &path);
    assert_eq!(second.status, 200, "{second:?}");
    assert!(second.body == first.body, "the same preview again");
    if let Some(stored) = stored {
        let kept = stored(&sha).expect("the preview is in the blob store");
        assert!(kept == first.body, "the stored preview is what was served");
    }

    // EXIF orientation 6 (turn 90° clockwise): upright, 960 x 1280, the stored top-left block at the
    // top right.
    let turned = uploaded(addr, a, &photo(2000, 1500, Some(6)));
    let img = decoded_jpeg(&get(addr, a, &format!("/v1/blobs/{turned}/preview")));
    assert_eq!(img.dimensions(), (960, 1280));
    assert!(is_red(*img.get_pixel(940, 20)), "top right {:?}", img.get_pixel(940, 20));
    assert!(!is_red(*img.get_pixel(20, 20)), "top left {:?}", img.get_pixel(20, 20));
    // Its thumbnail (made at upload) is upright too.
    let thumb = decoded_jpeg(&get(addr, a, &format!("/v1/blobs/{turned}/thumbnail")));
    assert_eq!(thumb.dimensions(), (240, 320));
    assert!(is_red(*thumb.get_pixel(235, 5)) && !is_red(*thumb.get_pixel(5, 5)), "thumbnail upright");

    // Smaller than a preview: re-encoded as a JPEG at its own size, never upscaled (a PNG too).
    let mut png = Vec::new();
    image::RgbImage::from_fn(500, 800, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let small = uploaded(addr, a, &png);
    assert_eq!(decoded_jpeg(&get(addr, a, &format!("/v1/blobs/{small}/preview"))).dimensions(), (500, 800));
}

fn on_filesystem(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = [token(dir.path(), url, "P1"), token(dir.path(), url, "P1"), token(dir.path(), url, "P2")];
    let server = start_with(dir.path(), url);
    let previews = dir.path().join("blobs/previews");
    let stored = |sha: &str| std::fs::read(previews.join(format!("{sha}.jpg"))).ok();
    story(&server.addr, [&tokens[0], &tokens[1], &tokens[2]], Some(&stored));

    // Served from the store, not made again: a stored preview replaced behind the server's back is
    // what comes back.
    let sha = files_under(&previews)
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .find(|s| s.len() == 64)
        .expect("a stored preview");
    let marker = photo(64, 48, None);
    std::fs::write(previews.join(format!("{sha}.jpg")), &marker).expect("replace the stored preview");
    let r = get(&server.addr, &tokens[0], &format!("/v1/blobs/{sha}/preview"));
    assert!(r.status == 200 && r.body == marker, "served from the store: {} bytes", r.body.len());
}

#[test]
fn preview_on_sqlite() {
    on_filesystem(None);
}

#[test]
fn preview_on_postgres() {
    let pg = ThrowawayPg::create();
    on_filesystem(Some(&pg.url()));
}

/// The object_store adapter (`--blob-store memory`): the same answers; the store is out of sight.
#[test]
fn preview_on_object_store() {
    let dir = tempfile::tempdir().expect("dir");
    let tokens = [token(dir.path(), None, "P1"), token(dir.path(), None, "P1"), token(dir.path(), None, "P2")];
    let server = start_args(dir.path(), None, "127.0.0.1:0", &["--blob-store", "memory"]);
    story(&server.addr, [&tokens[0], &tokens[1], &tokens[2]], None);
    assert!(files_under(&dir.path().join("blobs")).is_empty(), "nothing in the filesystem store");
}

/// A server that stored its thumbnails before they were turned upright (under the old key,
/// `thumbnails/<sha256>.jpg`): the first request for one makes the upright thumbnail from the
/// original and keeps it (the old file is left alone); the web photo page's thumbnail is the same.
#[test]
fn a_thumbnail_made_before_orientation_is_remade_upright() {
    let dir = tempfile::tempdir().expect("dir");
    let a = token(dir.path(), None, "P1");
    let server = start_with(dir.path(), None);
    let sha = uploaded(&server.addr, &a, &photo(2000, 1500, Some(6)));
    let thumbs = dir.path().join("blobs/thumbnails");
    let upright = thumbs.join(format!("{sha}.upright.jpg"));
    let made_at_upload = std::fs::read(&upright).expect("the upload made the upright thumbnail");
    // As an older server left it: only the old key, holding the photo as stored (sideways).
    std::fs::remove_file(&upright).expect("remove");
    std::fs::write(thumbs.join(format!("{sha}.jpg")), photo(320, 240, None)).expect("old thumbnail");

    let t = decoded_jpeg(&get(&server.addr, &a, &format!("/v1/blobs/{sha}/thumbnail")));
    assert_eq!(t.dimensions(), (240, 320), "upright");
    assert!(is_red(*t.get_pixel(235, 5)) && !is_red(*t.get_pixel(5, 5)));
    assert_eq!(std::fs::read(&upright).expect("kept"), made_at_upload, "the same as an upload makes it");
}
