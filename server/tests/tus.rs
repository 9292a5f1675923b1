//! Photo uploads over tus 1.0 against the real server binary, on SQLite and PostgreSQL: the protocol
//! exactly as a standard tus client speaks it (raw HTTP), resumption after the server is killed,
//! whole-file and per-chunk checks, limits, deduplication and project scoping.
//!
//! One file because every story here shares the `Client` below (one tus client speaking raw HTTP),
//! run against each storage backend (SQLite, PostgreSQL, the object store, S3).

mod blobkit;
mod common;

use blobkit::*;
use common::*;

struct Client {
    addr: String,
    auth: String,
}

impl Client {
    fn new(addr: &str, token: &str) -> Client {
        Client { addr: addr.to_string(), auth: format!("Bearer {token}") }
    }

    fn create(&self, length: usize, sha256: &str) -> Resp {
        request(
            &self.addr,
            "POST",
            "/v1/uploads",
            &[
                TUS,
                ("Authorization", &self.auth),
                ("Upload-Length", &length.to_string()),
                ("Upload-Metadata", &metadata(sha256)),
            ],
            b"",
        )
    }

    /// Creates an upload; returns its path (the Location).
    fn created(&self, length: usize, sha256: &str) -> String {
        create_upload(&self.addr, &self.auth, length, sha256)
    }

    fn head(&self, path: &str) -> Resp {
        request(&self.addr, "HEAD", path, &[TUS, ("Authorization", &self.auth)], b"")
    }

    fn patch(&self, path: &str, offset: usize, bytes: &[u8], checksum: Option<&str>) -> Resp {
        let offset = offset.to_string();
        let mut h = vec![TUS, OCTETS, ("Authorization", self.auth.as_str()), ("Upload-Offset", offset.as_str())];
        if let Some(c) = checksum {
            h.push(("Upload-Checksum", c));
        }
        request(&self.addr, "PATCH", path, &h, bytes)
    }

    fn get(&self, path: &str) -> Resp {
        request(&self.addr, "GET", path, &[("Authorization", &self.auth)], b"")
    }
}

fn sha1_b64(b: &[u8]) -> String {
    use sha1::Digest;
    b64(&sha1::Sha1::digest(b))
}

fn sha256_b64(b: &[u8]) -> String {
    use sha2::Digest;
    b64(&sha2::Sha256::digest(b))
}

/// Uploads `bytes` whole in one PATCH; returns the final PATCH's response.
fn upload(c: &Client, bytes: &[u8], declared_sha: &str) -> Resp {
    upload_declaring(&c.addr, &c.auth, bytes, declared_sha).1
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tb, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P1"), token(dir.path(), url, "P2"));
    let server = start_with(dir.path(), url);
    let (a, b, c) = (Client::new(&server.addr, &ta), Client::new(&server.addr, &tb), Client::new(&server.addr, &tc));

    // Discovery.
    let r = request(&server.addr, "OPTIONS", "/v1/uploads", &[("Authorization", &a.auth)], b"");
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(r.header("tus-extension"), Some("creation,checksum,termination,expiration"));
    assert_eq!(r.header("tus-max-size"), Some("67108864"));
    assert_eq!(r.header("tus-checksum-algorithm"), Some("sha1,sha256"));

    // Auth and version.
    let photo = jpeg(1200, 900, 1, true);
    let sha = sha256_hex(&photo);
    let r = request(
        &server.addr,
        "POST",
        "/v1/uploads",
        &[TUS, ("Upload-Length", "10"), ("Upload-Metadata", &metadata(&sha))],
        b"",
    );
    assert_eq!(r.status, 401, "missing token: {r:?}");
    assert_eq!(r.json()["field"], "authorization");
    let r =
        request(&server.addr, "POST", "/v1/uploads", &[("Tus-Resumable", "0.2.2"), ("Authorization", &a.auth)], b"");
    assert_eq!(r.status, 412, "{r:?}");
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    assert_eq!(r.json()["field"], "Tus-Resumable");

    // Creation problems: each names the header.
    let r = a.create(64 * 1024 * 1024 + 1, &sha);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.json()["field"], "Upload-Length");
    // (No sha256 at all is fine: tus_stock_clients.rs.)
    let r = request(
        &server.addr,
        "POST",
        "/v1/uploads",
        &[TUS, ("Authorization", &a.auth), ("Upload-Length", "10"), ("Upload-Metadata", "sha256 !!!")],
        b"",
    );
    assert_eq!(r.status, 400, "metadata that is not base64: {r:?}");
    assert_eq!(r.json()["field"], "Upload-Metadata");
    let r = request(
        &server.addr,
        "POST",
        "/v1/uploads",
        &[TUS, ("Authorization", &a.auth), ("Upload-Length", "-3"), ("Upload-Metadata", &metadata(&sha))],
        b"",
    );
    assert_eq!((r.status, r.json()["field"].as_str()), (400, Some("Upload-Length")), "{r:?}");

    // A complete upload in chunks, with both checksum algorithms.
    let path = a.created(photo.len(), &sha);
    assert!(path.starts_with("/v1/uploads/"), "{path}");
    let h = a.head(&path);
    assert_eq!(h.status, 200, "{h:?}");
    assert_eq!(h.offset(), 0);
    assert_eq!(h.header("upload-length"), Some(photo.len().to_string().as_str()));
    assert_eq!(h.header("cache-control"), Some("no-store"));
    assert_eq!(h.header("upload-metadata"), Some(metadata(&sha).as_str()));
    let half = photo.len() / 2;
    let r = a.patch(&path, 0, &photo[..half], Some(&format!("sha1 {}", sha1_b64(&photo[..half]))));
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.offset(), half as u64);
    assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    // Wrong offset: 409, nothing written.
    let r = a.patch(&path, 0, &photo[..100], None);
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.json()["field"], "Upload-Offset");
    // A damaged chunk: 460, discarded.
    let mut damaged = photo[half..half + 1000].to_vec();
    let good_sum = format!("sha256 {}", sha256_b64(&damaged));
    damaged[10] ^= 0xff;
    let r = a.patch(&path, half, &damaged, Some(&good_sum));
    assert_eq!(r.status, 460, "{r:?}");
    assert_eq!(r.json()["field"], "Upload-Checksum");
    assert_eq!(a.head(&path).offset(), half as u64, "the damaged chunk was not kept");
    let r = a.patch(&path, half, &photo[half..half + 10], Some("md5 AAAA"));
    assert_eq!((r.status, r.json()["field"].as_str()), (400, Some("Upload-Checksum")), "{r:?}");
    let r = request(
        &server.addr,
        "PATCH",
        &path,
        &[TUS, ("Authorization", &a.auth), ("Upload-Offset", &half.to_string()), ("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!((r.status, r.json()["field"].as_str()), (415, Some("Content-Type")), "{r:?}");
    // More than Upload-Length: refused, nothing kept.
    let mut too_long = photo[half..].to_vec();
    too_long.push(0);
    let r = a.patch(&path, half, &too_long, None);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(a.head(&path).offset(), half as u64);
    // The rest completes it.
    let r = a.patch(&path, half, &photo[half..], Some(&format!("sha256 {}", sha256_b64(&photo[half..]))));
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.offset(), photo.len() as u64);
    assert_eq!(a.head(&path).offset(), photo.len() as u64);

    // Served to the project: the original, and a smaller thumbnail that decodes.
    let g = a.get(&format!("/v1/blobs/{sha}"));
    assert_eq!(g.status, 200);
    assert_eq!(g.header("content-type"), Some("image/jpeg"));
    assert!(g.body == photo, "the original comes back byte for byte");
    let t = b.get(&format!("/v1/blobs/{sha}/thumbnail"));
    assert_eq!(t.status, 200, "another device of the project reads it too");
    assert!(t.body.len() < photo.len() / 4, "thumbnail {} bytes vs {}", t.body.len(), photo.len());
    let thumb = image::load_from_memory(&t.body).expect("thumbnail decodes");
    assert_eq!((thumb.width(), thumb.height()), (320, 240));

    // Another project sees nothing of it.
    assert_eq!(c.head(&path).status, 404);
    assert_eq!(c.patch(&path, photo.len(), b"", None).status, 404);
    let r = c.get(&format!("/v1/blobs/{sha}"));
    assert_eq!(r.status, 404, "{r:?}");
    assert!(!String::from_utf8_lossy(&r.body).contains("P1"), "nothing leaks: {r:?}");
    assert_eq!(c.get(&format!("/v1/blobs/{sha}/thumbnail")).status, 404);
    assert_eq!(request(&server.addr, "GET", &format!("/v1/blobs/{sha}"), &[], b"").status, 401);

    // The same photo again, from another phone of the project: complete at creation, nothing sent.
    let originals = || files_under(&dir.path().join("blobs/originals")).len();
    assert_eq!(originals(), 1);
    let r = b.create(photo.len(), &sha);
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.offset(), photo.len() as u64, "creation reports it complete");
    let again = r.header("location").expect("location").to_string();
    assert_eq!(b.head(&again).offset(), photo.len() as u64);
    // Another project with the same bytes must send them (knowing a hash proves nothing), but they are
    // stored once.
    let r = upload(&c, &photo, &sha);
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(c.get(&format!("/v1/blobs/{sha}")).status, 200);
    assert_eq!(originals(), 1, "stored once");
    assert_eq!(count(dir.path(), url, &format!("SELECT count(*) FROM blobs WHERE sha256 = '{sha}'")), 1);
    assert_eq!(count(dir.path(), url, &format!("SELECT count(*) FROM blob_projects WHERE sha256 = '{sha}'")), 2);

    // A file that is not what its hash says: refused, discarded, never visible.
    let other = jpeg(300, 200, 7, false);
    let claimed = sha256_hex(b"something else");
    let path = a.created(other.len(), &claimed);
    let r = a.patch(&path, 0, &other, None);
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!((r.json()["error"].as_str(), r.json()["field"].as_str()), (Some("hash_mismatch"), Some("sha256")));
    assert_eq!(a.head(&path).status, 404, "the upload is gone");
    assert_eq!(a.get(&format!("/v1/blobs/{claimed}")).status, 404);
    assert_eq!(a.get(&format!("/v1/blobs/{}", sha256_hex(&other))).status, 404);

    // Not an image: refused by name.
    let text = b"Tuesday: 6 carpenters, 3 rebar fixers. Not a photo.".repeat(20);
    let r = upload(&a, &text, &sha256_hex(&text));
    assert_eq!(r.status, 415, "{r:?}");
    assert_eq!(
        (r.json()["error"].as_str(), r.json()["field"].as_str()),
        (Some("unsupported_media_type"), Some("file"))
    );
    assert_eq!(a.get(&format!("/v1/blobs/{}", sha256_hex(&text))).status, 404);
    // A JPEG signature followed by garbage (right hash, broken image).
    let broken = [&[0xFFu8, 0xD8, 0xFF, 0xE0][..], &[0x5A; 500][..]].concat();
    let r = upload(&a, &broken, &sha256_hex(&broken));
    assert_eq!((r.status, r.json()["error"].as_str()), (422, Some("invalid_image")), "{r:?}");

    // A PNG works too.
    let mut png = Vec::new();
    image::RgbImage::from_fn(500, 800, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    assert_eq!(upload(&a, &png, &sha256_hex(&png)).status, 204);
    let g = a.get(&format!("/v1/blobs/{}", sha256_hex(&png)));
    assert_eq!((g.status, g.header("content-type")), (200, Some("image/png")));
    let t = image::load_from_memory(&a.get(&format!("/v1/blobs/{}/thumbnail", sha256_hex(&png))).body).expect("thumb");
    assert_eq!((t.width(), t.height()), (200, 320));
    assert!(
        files_under(&dir.path().join("uploads")).is_empty(),
        "no partial files left: {:?}",
        files_under(&dir.path().join("uploads"))
    );
}

/// The server dies in the middle of a chunk; after a restart HEAD says where it stands and the
/// upload completes with the right hash. A client that hangs up mid-chunk (no checksum) keeps what
/// arrived.
fn resumes(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let ta = token(dir.path(), url, "P1");
    let photo = jpeg(800, 600, 3, true);
    let sha = sha256_hex(&photo);
    let third = photo.len() / 3;
    let server = start_with(dir.path(), url);
    let a = Client::new(&server.addr, &ta);
    let path = a.created(photo.len(), &sha);
    assert_eq!(a.patch(&path, 0, &photo[..third], None).status, 204);

    // The client hangs up after 1000 bytes of a chunk: the server keeps them (no checksum to verify).
    let s = partial_request(
        &server.addr,
        "PATCH",
        &path,
        &[TUS, OCTETS, ("Authorization", &a.auth), ("Upload-Offset", &third.to_string())],
        photo.len() - third,
        &photo[third..third + 1000],
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(s);
    let mut at = 0;
    for _ in 0..50 {
        at = a.head(&path).offset() as usize;
        if at == third + 1000 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(at, third + 1000, "bytes received before the client hung up are kept");

    // Now the server is killed while a chunk (with a checksum) is half sent.
    let sum = format!("sha256 {}", sha256_b64(&photo[at..]));
    let _s = partial_request(
        &server.addr,
        "PATCH",
        &path,
        &[TUS, OCTETS, ("Authorization", &a.auth), ("Upload-Offset", &at.to_string()), ("Upload-Checksum", &sum)],
        photo.len() - at,
        &photo[at..at + third / 2],
    );
    // Bytes of the chunk must have reached the server (its part file grew past the recorded offset)
    // before the kill, or the test would prove nothing about a chunk cut short.
    let id = path.rsplit('/').next().expect("upload id");
    let part = dir.path().join("uploads").join(id);
    let size = || std::fs::metadata(&part).map(|m| m.len() as usize).unwrap_or(0);
    let start = std::time::Instant::now();
    while size() <= at {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "no byte of the chunk reached {}",
            part.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(server); // SIGKILL
    let server = start_with(dir.path(), url);
    let a = Client::new(&server.addr, &ta);
    let h = a.head(&path);
    assert_eq!(h.status, 200, "{h:?}");
    assert_eq!(h.offset() as usize, at, "the half-sent chunk did not count");
    let r = a.patch(&path, at, &photo[at..], Some(&sum));
    assert_eq!(r.status, 204, "{r:?}");
    let g = a.get(&format!("/v1/blobs/{sha}"));
    assert_eq!(g.status, 200);
    assert_eq!(sha256_hex(&g.body), sha, "the resumed upload is the original");
}

/// A PATCH whose body stalls halfway (headers and some bytes, then nothing) holds its upload only
/// until the stall timeout: it is then answered 408 with the offset, the bytes that arrived are kept
/// (no checksum to verify), and the next PATCH at that offset completes the upload.
#[test]
fn tus_stalled_patch_frees_the_upload() {
    let dir = tempfile::tempdir().expect("dir");
    let ta = token(dir.path(), None, "P1");
    let photo = jpeg(800, 600, 4, true);
    let sha = sha256_hex(&photo);
    let half = photo.len() / 2;
    let server = start_with_args(dir.path(), None, &["--upload-stall-seconds", "1"]);
    let a = Client::new(&server.addr, &ta);
    let path = a.created(photo.len(), &sha);
    let mut stalled = partial_request(
        &server.addr,
        "PATCH",
        &path,
        &[TUS, OCTETS, ("Authorization", &a.auth), ("Upload-Offset", "0")],
        photo.len(),
        &photo[..half],
    );
    // (Bounded: without a stall timeout no answer ever comes.)
    stalled.set_read_timeout(Some(std::time::Duration::from_secs(60))).expect("read timeout");
    let mut raw = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stalled, &mut raw);
    let head = String::from_utf8_lossy(&raw).to_string();
    assert!(head.starts_with("HTTP/1.1 408"), "the stalled PATCH is answered 408: {head:?}");
    let offset_header = format!("upload-offset: {half}");
    assert!(head.to_ascii_lowercase().contains(&offset_header), "{head:?}");
    assert!(head.contains("--upload-stall-seconds"), "the answer names the limit: {head:?}");
    drop(stalled);

    assert_eq!(a.head(&path).offset() as usize, half, "the bytes that arrived are kept");
    let r = a.patch(&path, half, &photo[half..], None);
    assert_eq!(r.status, 204, "the upload is free for the next PATCH: {r:?}");
    let g = a.get(&format!("/v1/blobs/{sha}"));
    assert_eq!(g.status, 200);
    assert_eq!(sha256_hex(&g.body), sha, "the resumed upload is the original");
}

/// Termination (DELETE) and expiration: an unfinished upload says when it expires, a client can give it up at
/// once, and an expired one answers 410 and is swept (row and partial file) when the server starts.
fn terminates_and_expires(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let (ta, tc) = (token(dir.path(), url, "P1"), token(dir.path(), url, "P2"));
    let photo = jpeg(800, 600, 7, true);
    let sha = sha256_hex(&photo);
    let half = photo.len() / 2;
    let partial = |path: &str| dir.path().join("uploads").join(path.trim_start_matches("/v1/uploads/"));
    let server = start_with(dir.path(), url);
    let (a, c) = (Client::new(&server.addr, &ta), Client::new(&server.addr, &tc));

    // Unfinished uploads carry Upload-Expires (an HTTP date, 7 days out by default) on creation, HEAD and PATCH.
    let r = a.create(photo.len(), &sha);
    assert_eq!(r.status, 201, "{r:?}");
    let expires = r.header("upload-expires").expect("Upload-Expires on creation").to_string();
    assert!(expires.ends_with(" GMT") && expires.len() == 29, "{expires:?}");
    let path = r.header("location").expect("Location").to_string();
    let p = a.patch(&path, 0, &photo[..half], None);
    assert_eq!((p.status, p.header("upload-expires")), (204, Some(expires.as_str())), "{p:?}");
    assert_eq!(a.head(&path).header("upload-expires"), Some(expires.as_str()));
    assert!(partial(&path).is_file(), "the first half is on disk");

    // Termination: another project's token finds nothing; the owner's DELETE removes row and bytes.
    let d = request(&server.addr, "DELETE", &path, &[TUS, ("Authorization", &c.auth)], b"");
    assert_eq!((d.status, d.json()["field"].as_str()), (404, Some("id")), "{d:?}");
    let d = request(&server.addr, "DELETE", &path, &[TUS, ("Authorization", &a.auth)], b"");
    assert_eq!(d.status, 204, "{d:?}");
    assert_eq!(d.header("tus-resumable"), Some("1.0.0"));
    assert!(!partial(&path).exists(), "the partial file is gone");
    assert_eq!(a.head(&path).status, 404);
    assert_eq!(a.patch(&path, half, &photo[half..], None).status, 404);
    let d = request(&server.addr, "DELETE", &path, &[("Authorization", &a.auth)], b"");
    assert_eq!(d.status, 412, "DELETE without Tus-Resumable: {d:?}");

    // A finished upload's photo survives the termination of its upload.
    let done = a.created(photo.len(), &sha);
    assert_eq!(a.patch(&done, 0, &photo, None).status, 204);
    assert_eq!(request(&server.addr, "DELETE", &done, &[TUS, ("Authorization", &a.auth)], b"").status, 204);
    assert_eq!(sha256_hex(&a.get(&format!("/v1/blobs/{sha}")).body), sha);

    // Half an upload, then the server restarts with uploads living 0 minutes: the startup sweep deletes it.
    let other = jpeg(640, 480, 8, true);
    let swept = a.created(other.len(), &sha256_hex(&other));
    assert_eq!(a.patch(&swept, 0, &other[..100], None).status, 204);
    drop(server);
    let server = start_with_args(dir.path(), url, &["--upload-expiry-minutes", "0"]);
    let a = Client::new(&server.addr, &ta);
    assert!(!partial(&swept).exists(), "swept at start-up");
    assert_eq!(a.head(&swept).status, 404, "its row went too");

    // With a zero life, a new upload is expired at once: HEAD and PATCH answer 410, and it is deleted.
    let gone = a.created(other.len(), &sha256_hex(&other));
    assert_eq!(a.head(&gone).status, 410, "HEAD has no body: the status says it");
    assert_eq!(a.head(&gone).status, 404, "deleted once found expired");
    let late = a.created(other.len(), &sha256_hex(&other));
    let p = a.patch(&late, 0, &other, None);
    assert_eq!(
        (p.status, p.json()["error"].as_str(), p.json()["field"].as_str()),
        (410, Some("expired"), Some("id")),
        "{p:?}"
    );
    assert!(!partial(&late).exists());
}

#[test]
fn tus_terminates_and_expires_on_sqlite() {
    terminates_and_expires(None);
}

#[test]
fn tus_terminates_and_expires_on_postgres() {
    let pg = ThrowawayPg::create();
    terminates_and_expires(Some(&pg.url()));
}

#[test]
fn tus_on_sqlite() {
    story(None);
}

#[test]
fn tus_on_postgres() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}

#[test]
fn tus_resumes_after_a_kill_on_sqlite() {
    resumes(None);
}

#[test]
fn tus_resumes_after_a_kill_on_postgres() {
    let pg = ThrowawayPg::create();
    resumes(Some(&pg.url()));
}

/// The object_store adapter behind the real server (`--blob-store memory`).
#[test]
fn tus_on_object_store() {
    let dir = tempfile::tempdir().expect("dir");
    let ta = token(dir.path(), None, "P1");
    let server =
        start_args(dir.path(), None, "127.0.0.1:0", &["--blob-store", "memory", "--max-upload-bytes", "300000"]);
    let a = Client::new(&server.addr, &ta);
    let photo = jpeg(640, 480, 5, false);
    assert!(photo.len() < 300_000);
    assert_eq!(upload(&a, &photo, &sha256_hex(&photo)).status, 204);
    assert!(a.get(&format!("/v1/blobs/{}", sha256_hex(&photo))).body == photo);
    assert!(files_under(&dir.path().join("blobs")).is_empty(), "nothing in the filesystem store");
    let r = a.create(300_001, &sha256_hex(&photo));
    assert_eq!(r.status, 413, "the configured limit: {r:?}");
}

/// An S3-compatible object store on a free port: moto's server (`python3 -m pip install
/// 'moto[server]'`, done by scripts/test-setup.sh), stopped on drop.
struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl S3Server {
    fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = std::process::Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("python3 -m moto.server, an S3-compatible server (scripts/test-setup.sh installs it): {e}")
            });
        let endpoint = format!("127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(&endpoint).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto's server did not start on {endpoint} (scripts/test-setup.sh installs it)"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        S3Server { child, endpoint }
    }

    /// Object keys of `bucket` under `prefix` (S3's ListObjectsV2, answered as XML).
    fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let r = request(&self.endpoint, "GET", &format!("/{bucket}?list-type=2&prefix={prefix}"), &[], b"");
        assert_eq!(r.status, 200, "{r:?}");
        let xml = String::from_utf8_lossy(&r.body).to_string();
        xml.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).map(str::to_string).collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The same upload story on S3-compatible storage (`--blob-store s3://bucket/prefix`, the
// object_store adapter): the original and its thumbnail are objects in the bucket, nothing is in
// the data folder's blob store, and a restarted server serves the photo from the bucket.
#[test]
fn tus_on_s3() {
    let s3 = S3Server::start();
    let r = request(&s3.endpoint, "PUT", "/fl-photos", &[], b"");
    assert_eq!(r.status, 200, "create bucket: {r:?}");
    let endpoint = format!("http://{}", s3.endpoint);
    let env = [
        ("AWS_ENDPOINT", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "fieldledger-test"),
        ("AWS_SECRET_ACCESS_KEY", "fieldledger-test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let args = ["--blob-store", "s3://fl-photos/site-a"];
    let dir = tempfile::tempdir().expect("dir");
    let ta = token(dir.path(), None, "P1");
    let photo = jpeg(800, 600, 9, true);
    let sha = sha256_hex(&photo);
    {
        let server = start_on_env(dir.path(), None, "127.0.0.1:0", &args, &env);
        let a = Client::new(&server.addr, &ta);
        let r = upload(&a, &photo, &sha);
        assert_eq!(r.status, 204, "{r:?}");
        assert!(a.get(&format!("/v1/blobs/{sha}")).body == photo);
        let keys = s3.keys("fl-photos", "site-a/");
        assert!(
            keys.len() >= 2 && keys.iter().any(|k| k.contains(&sha)),
            "original and thumbnail in the bucket: {keys:?}"
        );
        assert!(files_under(&dir.path().join("blobs")).is_empty(), "nothing in the filesystem store");
        // A file that is not an image is refused, and nothing of it reaches the bucket.
        let junk = b"not a picture at all".repeat(50);
        assert_eq!(upload(&a, &junk, &sha256_hex(&junk)).status, 415);
        assert_eq!(s3.keys("fl-photos", "site-a/"), keys);
    }
    // A new server process: the photo and its thumbnail come from the bucket.
    let server = start_on_env(dir.path(), None, "127.0.0.1:0", &args, &env);
    let a = Client::new(&server.addr, &ta);
    assert!(a.get(&format!("/v1/blobs/{sha}")).body == photo);
    let thumb = a.get(&format!("/v1/blobs/{sha}/thumbnail"));
    assert_eq!(thumb.status, 200, "{thumb:?}");
    let img = image::load_from_memory(&thumb.body).expect("the thumbnail decodes");
    assert_eq!(img.width().max(img.height()), 320);
}
