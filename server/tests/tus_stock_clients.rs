//! Photo uploads from stock tus clients, against the real server binary: what they send (only
//! `filename` / `filetype` metadata, no `sha256`) and how they go on after creation (a PATCH from 0 even
//! when creation said the upload is complete). Raw HTTP on SQLite and PostgreSQL, then tus-js-client
//! itself in Node (`clients/tus-js-check/check.mjs`, its packages installed by scripts/test-setup.sh).

mod blobkit;
mod common;

use std::process::Command;

use blobkit::*;
use common::*;

const CLIENT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../clients/tus-js-check");

/// `Upload-Metadata` as tus-js-client builds it from `{filename, filetype}` (plus `sha256` if given).
fn stock_metadata(sha256: Option<&str>) -> String {
    let mut m = format!("filename {},filetype {}", b64(b"site.jpg"), b64(b"image/jpeg"));
    if let Some(sha) = sha256 {
        m.push_str(&format!(",sha256 {}", b64(sha.as_bytes())));
    }
    m
}

fn create(addr: &str, auth: &str, length: usize, metadata: &str) -> Resp {
    request(
        addr,
        "POST",
        "/v1/uploads",
        &[TUS, ("Authorization", auth), ("Upload-Length", &length.to_string()), ("Upload-Metadata", metadata)],
        b"",
    )
}

fn patch(addr: &str, auth: &str, path: &str, offset: usize, bytes: &[u8]) -> Resp {
    request(addr, "PATCH", path, &[TUS, OCTETS, ("Authorization", auth), ("Upload-Offset", &offset.to_string())], bytes)
}

fn protocol(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let auth = format!("Bearer {}", token(dir.path(), url, "P1"));
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();
    let photo = jpeg(900, 600, 21, true);
    let sha = sha256_hex(&photo);
    let originals = || files_under(&dir.path().join("blobs/originals")).len();

    // No sha256, as stock clients send: accepted, and the server hashes what arrives.
    let r = create(addr, &auth, photo.len(), &stock_metadata(None));
    assert_eq!((r.status, r.offset()), (201, 0), "{r:?}");
    let first = r.header("location").expect("Location").to_string();
    let r = patch(addr, &auth, &first, 0, &photo);
    assert_eq!((r.status, r.offset()), (204, photo.len() as u64), "{r:?}");
    assert_eq!(r.header("blob-sha256"), Some(sha.as_str()), "the last answer names the photo's address: {r:?}");
    let h = request(addr, "HEAD", &first, &[TUS, ("Authorization", &auth)], b"");
    assert_eq!((h.status, h.offset(), h.header("blob-sha256")), (200, photo.len() as u64, Some(sha.as_str())));
    let g = request(addr, "GET", &format!("/v1/blobs/{sha}"), &[("Authorization", &auth)], b"");
    assert!(g.status == 200 && g.body == photo, "the original is served at its hash: {}", g.status);
    let rows = |sql: &str| count(dir.path(), url, &sql.replace("{sha}", &sha));
    assert_eq!(
        rows("SELECT count(*) FROM uploads WHERE sha256 = '{sha}' AND completed_at_ms IS NOT NULL"),
        1,
        "completion records the hash on the upload"
    );

    // The same bytes again without a hash: sent again (the server cannot know them), stored once.
    let r = create(addr, &auth, photo.len(), &stock_metadata(None));
    assert_eq!((r.status, r.offset()), (201, 0), "{r:?}");
    let second = r.header("location").expect("Location").to_string();
    let r = patch(addr, &auth, &second, 0, &photo);
    assert_eq!((r.status, r.header("blob-sha256")), (204, Some(sha.as_str())), "{r:?}");
    assert_eq!(rows("SELECT count(*) FROM blobs WHERE sha256 = '{sha}'"), 1);
    assert_eq!(rows("SELECT count(*) FROM blob_projects WHERE sha256 = '{sha}'"), 1);
    assert_eq!(originals(), 1, "one original in the blob store");

    // Declared and already here: complete at creation; the PATCH from 0 a stock client sends next is
    // answered with the final offset (not 409), and nothing is written.
    let r = create(addr, &auth, photo.len(), &stock_metadata(Some(&sha)));
    assert_eq!((r.status, r.offset()), (201, photo.len() as u64), "{r:?}");
    assert_eq!(r.header("upload-expires"), None, "a complete upload does not expire");
    let known = r.header("location").expect("Location").to_string();
    let r = patch(addr, &auth, &known, 0, &photo);
    assert_eq!((r.status, r.offset()), (204, photo.len() as u64), "{r:?}");
    assert_eq!(r.header("blob-sha256"), Some(sha.as_str()));
    // A chunk at 0 (tus-js-client with a chunkSize), and again: the same answer each time.
    for _ in 0..2 {
        let r = patch(addr, &auth, &known, 0, &photo[..1000]);
        assert_eq!((r.status, r.offset()), (204, photo.len() as u64), "{r:?}");
    }
    let r = patch(addr, &auth, &known, photo.len(), b"");
    assert_eq!((r.status, r.offset()), (204, photo.len() as u64), "{r:?}");
    let h = request(addr, "HEAD", &known, &[TUS, ("Authorization", &auth)], b"");
    assert_eq!((h.status, h.offset()), (200, photo.len() as u64), "{h:?}");
    // What could never fit is still refused, naming the header.
    let mut longer = photo.clone();
    longer.push(0);
    let r = patch(addr, &auth, &known, 0, &longer);
    assert_eq!((r.status, r.json()["field"].as_str()), (413, Some("Content-Length")), "{r:?}");
    let r = patch(addr, &auth, &known, photo.len() + 1, b"");
    assert_eq!((r.status, r.json()["field"].as_str()), (409, Some("Upload-Offset")), "{r:?}");
    assert_eq!(r.offset(), photo.len() as u64);
    assert!(
        request(addr, "GET", &format!("/v1/blobs/{sha}"), &[("Authorization", &auth)], b"").body == photo,
        "the stored photo is untouched"
    );
    assert_eq!(originals(), 1);

    // A declared hash is still checked: a wrong one is refused at completion, naming the field.
    let other = jpeg(400, 300, 22, true);
    let wrong = sha256_hex(b"not this photo");
    let r = create(addr, &auth, other.len(), &stock_metadata(Some(&wrong)));
    assert_eq!((r.status, r.offset()), (201, 0), "{r:?}");
    let path = r.header("location").expect("Location").to_string();
    let r = patch(addr, &auth, &path, 0, &other);
    assert_eq!(
        (r.status, r.json()["error"].as_str(), r.json()["field"].as_str()),
        (422, Some("hash_mismatch"), Some("sha256")),
        "{r:?}"
    );
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains(&wrong)), "{r:?}");
    let g = request(addr, "GET", &format!("/v1/blobs/{}", sha256_hex(&other)), &[("Authorization", &auth)], b"");
    assert_eq!(g.status, 404, "nothing of a refused upload is visible");
    // A sha256 that is not one: refused at creation.
    let r = create(addr, &auth, other.len(), &stock_metadata(Some("abc")));
    assert_eq!((r.status, r.json()["field"].as_str()), (400, Some("Upload-Metadata")), "{r:?}");
    assert!(r.json()["message"].as_str().is_some_and(|m| m.contains("sha256")), "{r:?}");
}

#[test]
fn stock_tus_protocol_on_sqlite() {
    protocol(None);
}

#[test]
fn stock_tus_protocol_on_postgres() {
    let pg = ThrowawayPg::create();
    protocol(Some(&pg.url()));
}

/// tus-js-client in Node: a new photo with only filename/filetype, the same again (without and with its
/// hash), and an upload cut after its first chunk then resumed from its URL; all without a retry.
#[test]
fn tus_js_client_uploads() {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED tus_js_client_uploads: `node` is not installed (Node 18 or later runs tus-js-client)");
        return;
    }
    let client = std::path::Path::new(CLIENT_DIR);
    assert!(
        client.join("node_modules/tus-js-client/package.json").is_file(),
        "tus-js-client is not installed in {CLIENT_DIR}: run scripts/test-setup.sh (npm ci there)"
    );
    let dir = tempfile::tempdir().expect("dir");
    let tok = token(dir.path(), None, "P1");
    let server = start_with(dir.path(), None);
    let (a, b) = (jpeg(1000, 700, 31, true), jpeg(800, 600, 32, true));
    let (pa, pb) = (dir.path().join("a.jpg"), dir.path().join("b.jpg"));
    std::fs::write(&pa, &a).expect("write photo A");
    std::fs::write(&pb, &b).expect("write photo B");

    let out = Command::new("node")
        .arg("check.mjs")
        .current_dir(client)
        .env("FIELDLEDGER_URL", format!("http://{}", server.addr))
        .env("FIELDLEDGER_TOKEN", &tok)
        .env("PHOTO_A", &pa)
        .env("PHOTO_B", &pb)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check.mjs failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("check.mjs ends with its summary");
    let (sa, sb) = (sha256_hex(&a), sha256_hex(&b));
    assert_eq!((last["ok"].as_bool(), last["a"].as_str(), last["b"].as_str()), (Some(true), Some(&*sa), Some(&*sb)));

    // What the server holds: both photos byte for byte, each once, and no partial file left.
    let auth = format!("Bearer {tok}");
    for (sha, bytes) in [(&sa, &a), (&sb, &b)] {
        let g = request(&server.addr, "GET", &format!("/v1/blobs/{sha}"), &[("Authorization", &auth)], b"");
        assert!(g.status == 200 && &g.body == bytes, "{sha} is served as uploaded ({})", g.status);
    }
    assert_eq!(count(dir.path(), None, "SELECT count(*) FROM blobs"), 2);
    assert_eq!(files_under(&dir.path().join("blobs/originals")).len(), 2);
    assert_eq!(count(dir.path(), None, "SELECT count(*) FROM uploads WHERE completed_at_ms IS NULL"), 0);
    assert!(files_under(&dir.path().join("uploads")).is_empty(), "no partial files left");
}
