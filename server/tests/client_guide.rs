//! docs/writing-a-client.md's worked example, byte for byte: every hex block and value the page shows
//! is recomputed here with `record_schema::wire` (the CBOR types, the manifest digest), the client's
//! rules (`record_schema::sync_client::SyncDriver`) and automerge; then the page's request bytes are
//! POSTed to the real server binary, which must answer with the page's response bytes. A client
//! written from the page speaks what the server speaks, or this test fails.
//!
//! The page marks each checked block with `<!-- hex: NAME -->` on the line before its fence; in the
//! block, what precedes `--` on a line is bytes in hex (spaces ignored), the rest is annotation.

mod common;

use std::collections::{BTreeMap, HashMap};

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ScalarValue};
use record_schema::sync_client::{Next, SyncDriver};
use record_schema::wire::{
    DocMessage, ManifestEntry, PROTOCOL_VERSION, SyncRequest, SyncResponse, assume_delivered, heads_digest,
    manifest_digest, manifest_element, prepare_first_offer, prepare_state,
};

use common::*;

const PAGE: &str = include_str!("../../docs/writing-a-client.md");
const ID: &str = "0193a5b2-7c4e-7d21-9f3a-2b6c8d0e1f47";
/// The example's Automerge actor: 16 bytes, the ASCII of "fieldledger-demo".
const ACTOR: &[u8; 16] = b"fieldledger-demo";
/// The actor of another device of the project, whose change reaches the client in the last example.
const PEER: &[u8; 16] = b"fieldledger-peer";

/// The page's checked hex blocks by name (bytes as lowercase hex, annotations dropped).
fn page_blocks() -> BTreeMap<String, String> {
    let mut blocks = BTreeMap::new();
    let mut lines = PAGE.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.trim().strip_prefix("<!-- hex: ").and_then(|r| r.strip_suffix(" -->")) else {
            continue;
        };
        assert!(lines.next().is_some_and(|l| l.starts_with("```")), "a fence should follow the marker of {name}");
        let mut hex = String::new();
        for l in lines.by_ref().take_while(|l| !l.starts_with("```")) {
            let bytes = l.split("--").next().unwrap_or_default();
            for token in bytes.split_whitespace() {
                assert!(
                    token.len() % 2 == 0 && token.chars().all(|c| c.is_ascii_hexdigit()),
                    "block {name}: {token:?} is not hex bytes (annotations go after --)"
                );
                hex.push_str(&token.to_ascii_lowercase());
            }
        }
        assert!(blocks.insert(name.to_string(), hex).is_none(), "two blocks are named {name}");
    }
    blocks
}

fn bytes_of(hex: &str) -> Vec<u8> {
    hex::decode(hex).expect("the page's hex")
}

/// The labour sheet of the example, written key by key as a client in another language would:
/// scalar strings, integers, a timestamp, decimals as canonical text; one change at time 0.
fn base_doc() -> AutoCommit {
    let mut d = AutoCommit::new().with_actor(ActorId::from(ACTOR.to_vec()));
    let text = |s: &str| ScalarValue::Str(s.into());
    let root: [(&str, ScalarValue); 10] = [
        ("kind", text("labour_sheet")),
        ("schema_version", ScalarValue::Int(1)),
        ("id", text(ID)),
        ("project_id", text("P1")),
        ("site_id", text("S1")),
        ("time_zone", text("Asia/Shanghai")),
        ("author", text("li")),
        ("created_at", ScalarValue::Timestamp(1_763_600_000_000)),
        ("work_date", text("2026-11-20")),
        ("currency", text("CNY")),
    ];
    for (key, value) in root {
        d.put(ROOT, key, value).expect("put");
    }
    let lines = d.put_object(ROOT, "lines", ObjType::Map).expect("lines");
    let line = d.put_object(&lines, "l1", ObjType::Map).expect("line");
    let fields: [(&str, ScalarValue); 9] = [
        ("id", text("l1")),
        ("position", ScalarValue::Int(0)),
        ("trade", text("carpenter")),
        ("headcount", ScalarValue::Int(4)),
        ("effort_unit", text("day")),
        ("effort", text("1")),
        ("rate", text("350.00")),
        ("cost_code", text("03-100")),
        ("presence", text("edited 0")),
    ];
    for (key, value) in fields {
        d.put(&line, key, value).expect("put");
    }
    d.commit_with(CommitOptions::default().with_time(0));
    d
}

/// The edit: the sheet's note, one change at time 0.
fn edit(d: &mut AutoCommit) {
    d.put(ROOT, "note", "rain after 3pm").expect("put");
    d.commit_with(CommitOptions::default().with_time(0));
}

/// The peer's edit on top of the client's: the note again, one change at time 0.
fn peer_edit(d: &mut AutoCommit) {
    d.put(ROOT, "note", "work resumed 4pm").expect("put");
    d.commit_with(CommitOptions::default().with_time(0));
}

/// A state as persisted between syncs (`State::encode` keeps the shared heads only).
fn persisted(shared: &[ChangeHash]) -> HashMap<String, State> {
    let mut s = State::new();
    s.shared_heads = shared.to_vec();
    HashMap::from([(ID.to_string(), State::decode(&s.encode()).expect("decode"))])
}

/// What `sync` does next, offering `doc`.
fn next(sync: &mut SyncDriver, doc: &mut AutoCommit) -> Next {
    for id in sync.candidates([ID.to_string()]) {
        sync.offer(id, Some(&mut *doc));
    }
    sync.request(|id| id == ID)
}

/// The next request of `sync` offering `doc`.
fn request(sync: &mut SyncDriver, doc: &mut AutoCommit) -> SyncRequest {
    match next(sync, doc) {
        Next::Send(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn cbor<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("cbor");
    out
}

/// Everything the page shows, computed.
struct Example {
    h0: ChangeHash,
    h1: ChangeHash,
    h2: ChangeHash,
    /// The whole document as the first sync sends it (`save`), and the peer's change.
    saved: Vec<u8>,
    peer_change: Vec<u8>,
    /// The hashed inputs and manifest digests before and after the edit.
    input0: Vec<u8>,
    m0: [u8; 16],
    m1: [u8; 16],
    change: Vec<u8>,
    blocks: BTreeMap<&'static str, Vec<u8>>,
}

fn example() -> Example {
    let mut phone = base_doc();
    let h0 = phone.get_heads()[0];
    let mut server = phone.fork();

    // The first sync: the sheet is new to the server, so it goes whole (a V2 message) with `reset`,
    // and the server's reply only says it now has h0 (it sent no changes: nothing to count as
    // delivered). One request.
    let mut sync = SyncDriver::new(HashMap::new());
    let first_request = request(&mut sync, &mut phone);
    assert!(first_request.reset && first_request.docs.len() == 1);
    let first = Message::decode(&first_request.docs[0].msg).expect("message");
    let saved = phone.save();
    assert_eq!(first.changes.len(), 1, "the whole document");
    let mut fresh = AutoCommit::new();
    let mut state = State::new();
    fresh.sync().receive_sync_message(&mut state, first).expect("merge");
    prepare_state(&mut state);
    let reply = fresh.sync().generate_sync_message(&mut state).expect("a reply");
    assert!(!assume_delivered(&mut state, &reply, &fresh.get_heads()));
    let first_response = SyncResponse {
        v: PROTOCOL_VERSION,
        docs: vec![DocMessage { id: ID.into(), msg: reply.encode() }],
        ..Default::default()
    };
    let incoming = sync.receive(SyncResponse { docs: first_response.docs.clone(), ..Default::default() });
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    assert_eq!(sync.states()[ID].shared_heads, vec![h0]);
    assert!(matches!(next(&mut sync, &mut phone), Next::Done), "no second request");

    // Idle: quiet documents, the manifest digest only.
    let mut sync = SyncDriver::new(persisted(&[h0]));
    let idle = request(&mut sync, &mut phone);
    assert!(idle.docs.is_empty() && !idle.reset && idle.entries.is_none());
    let idle_response = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
    // The server's digest differed: it asks for the entries, which go once.
    let need = || SyncResponse { v: PROTOCOL_VERSION, need_manifest: true, ..Default::default() };
    sync.receive(need());
    let entries = request(&mut sync, &mut phone);
    assert_eq!(entries.entries.as_ref().map(Vec::len), Some(1));

    // A one-field edit in one request.
    edit(&mut phone);
    let h1 = phone.get_heads()[0];
    let change = phone.get_change_by_hash(&h1).expect("the edit").raw_bytes().to_vec();
    let mut sync = SyncDriver::new(persisted(&[h0]));
    let edit_request = request(&mut sync, &mut phone);
    let msg = Message::decode(&edit_request.docs[0].msg).expect("message");
    assert_eq!(msg.changes.len(), 1, "the edit goes in the first request");
    // The server, as server/src/sync/incoming.rs does: its persisted state, the merge, its reply.
    let mut state = persisted(&[h0]).remove(ID).expect("state");
    server.sync().receive_sync_message(&mut state, msg).expect("merge");
    prepare_state(&mut state);
    let reply = server.sync().generate_sync_message(&mut state).expect("a reply").encode();
    let edit_response = SyncResponse {
        v: PROTOCOL_VERSION,
        docs: vec![DocMessage { id: ID.into(), msg: reply }],
        ..Default::default()
    };
    let incoming = sync.receive(SyncResponse { docs: edit_response.docs.clone(), ..Default::default() });
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    assert_eq!(sync.states()[ID].shared_heads, vec![h1], "after the reply both sides share the edit");

    let d0 = heads_digest(&[h0]);
    let input0 = [&(ID.len() as u64).to_le_bytes()[..], ID.as_bytes(), &d0].concat();
    let m0 = manifest_digest(&[ManifestEntry { id: ID.into(), heads: d0.clone() }]);
    assert_eq!(m0, manifest_element(ID, &d0), "one document: the digest is its element");
    let m1 = manifest_digest(&[ManifestEntry { id: ID.into(), heads: heads_digest(&[h1]) }]);
    assert_eq!(idle.manifest.as_deref(), Some(&m0[..]));
    assert_eq!(edit_request.manifest.as_deref(), Some(&m0[..]), "the edit request still states the old heads");

    // A peer's change: another device sets the note on top of h1. The client's idle request (h1's
    // digest) gets the server's unasked offer, which carries the change and asks for nothing, so the
    // server counts it as delivered and the client, once merged, has nothing to say.
    let mut peer = phone.fork().with_actor(ActorId::from(PEER.to_vec()));
    peer_edit(&mut peer);
    let h2 = peer.get_heads()[0];
    let peer_change = peer.get_change_by_hash(&h2).expect("the peer's edit").raw_bytes().to_vec();
    let mut sync = SyncDriver::new(persisted(&[h1]));
    let peer_request = request(&mut sync, &mut phone);
    assert!(peer_request.docs.is_empty() && peer_request.manifest.as_deref() == Some(&m1[..]));
    let mut state = persisted(&[h1]).remove(ID).expect("state");
    prepare_state(&mut state);
    prepare_first_offer(&mut state);
    let offer = peer.sync().generate_sync_message(&mut state).expect("an offer");
    assert!(assume_delivered(&mut state, &offer, &[h2]), "counted as delivered");
    let peer_response = SyncResponse {
        v: PROTOCOL_VERSION,
        docs: vec![DocMessage { id: ID.into(), msg: offer.encode() }],
        ..Default::default()
    };
    let incoming = sync.receive(SyncResponse { docs: peer_response.docs.clone(), ..Default::default() });
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    assert_eq!(phone.get_heads(), vec![h2]);
    assert!(matches!(next(&mut sync, &mut phone), Next::Done), "no acknowledgement");

    let blocks = BTreeMap::from([
        ("first_request", cbor(&first_request)),
        ("first_response", cbor(&first_response)),
        ("peer_response", cbor(&peer_response)),
        ("idle_request", cbor(&idle)),
        ("idle_response", cbor(&idle_response)),
        ("need_manifest_response", cbor(&need())),
        ("entries_request", cbor(&entries)),
        ("edit_request", cbor(&edit_request)),
        ("edit_response", cbor(&edit_response)),
    ]);
    Example { h0, h1, h2, saved, peer_change, input0, m0, m1, change, blocks }
}

/// 32 bytes a line, to paste into the page when it must change.
fn wrapped(bytes: &[u8]) -> String {
    bytes.chunks(32).map(hex::encode).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_pages_bytes_are_what_the_code_computes() {
    let ex = example();
    let page = page_blocks();
    let drifted: Vec<String> = ex
        .blocks
        .iter()
        .filter(|(name, bytes)| page.get(**name) != Some(&hex::encode(bytes)))
        .map(|(name, bytes)| format!("{name} ({} bytes):\n{}", bytes.len(), wrapped(bytes)))
        .collect();
    assert!(drifted.is_empty(), "docs/writing-a-client.md's blocks should be:\n{}", drifted.join("\n"));
    let unknown: Vec<&String> = page.keys().filter(|k| !ex.blocks.contains_key(k.as_str())).collect();
    assert!(unknown.is_empty(), "blocks the test does not compute: {unknown:?}");

    let shown = |what: &str, hex: String| {
        assert!(PAGE.contains(&hex), "docs/writing-a-client.md should show {what} {hex}");
    };
    shown("h0", hex::encode(ex.h0.0));
    shown("h1", hex::encode(ex.h1.0));
    shown("h2", hex::encode(ex.h2.0));
    shown("the peer's actor", hex::encode(PEER));
    shown("the saved document's length", format!("the saved document ({} bytes)", ex.saved.len()));
    assert!(hex::encode(&ex.blocks["first_request"]).contains(&hex::encode(&ex.saved)), "the whole document goes");
    let sizes = |up: &str, down: &str| format!("({} bytes up, {} down)", ex.blocks[up].len(), ex.blocks[down].len());
    shown("the first sync's sizes", sizes("first_request", "first_response"));
    shown("the edit's sizes", sizes("edit_request", "edit_response"));
    shown("the peer's change's sizes", sizes("idle_request", "peer_response"));
    shown("the peer's change's length", format!("the peer's change ({} bytes)", ex.peer_change.len()));
    assert!(hex::encode(&ex.blocks["peer_response"]).contains(&hex::encode(&ex.peer_change)));
    shown("heads_digest([h0])", hex::encode(heads_digest(&[ex.h0])));
    shown("heads_digest([h1])", hex::encode(heads_digest(&[ex.h1])));
    shown("the hashed input", hex::encode(&ex.input0));
    shown("the manifest before the edit", hex::encode(ex.m0));
    shown("the manifest after the edit", hex::encode(ex.m1));
    shown("the actor", hex::encode(ACTOR));
    // The edit's change appears inside edit_request; its length is stated.
    shown("the change's length", format!("the change ({} bytes)", ex.change.len()));
    assert!(hex::encode(&ex.blocks["edit_request"]).contains(&hex::encode(&ex.change)));
    // A change's hash is SHA-256 over its bytes after the magic and checksum; the checksum is its start.
    let hash = <sha2::Sha256 as sha2::Digest>::digest(&ex.change[8..]);
    assert_eq!((&hash[..], &hash[..4]), (&ex.h1.0[..], &ex.change[4..8]), "the page explains the change hash so");

    // `docs` may be left out of a request: the server reads it as empty.
    let minimal = [&[0xa2][..], &ex.blocks["idle_request"][1..1 + 2 + 1 + 9 + 17]].concat();
    shown("the minimal idle request", hex::encode(&minimal));
    let read: SyncRequest = ciborium::from_reader(minimal.as_slice()).expect("a request without docs");
    assert!(read.docs.is_empty() && read.manifest.as_deref() == Some(&ex.m0[..]));
}

/// POSTs CBOR to /v1/sync; the status and body.
fn sync_post(addr: &str, token: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let bearer = format!("Bearer {token}");
    post(addr, "/v1/sync", &[("Authorization", &bearer), ("Content-Type", "application/cbor")], body)
}

#[test]
fn the_real_server_answers_the_pages_requests_with_the_pages_bytes() {
    real_server(None);
}

#[test]
fn the_real_server_answers_the_pages_requests_with_the_pages_bytes_on_postgres() {
    let pg = ThrowawayPg::create();
    real_server(Some(&pg.url()));
}

fn real_server(url: Option<&str>) {
    let page = page_blocks();
    let block = |name: &str| bytes_of(page.get(name).unwrap_or_else(|| panic!("the page's block {name}")));
    let dir = tempfile::tempdir().expect("dir");
    let peer_token = token(dir.path(), url, "P1");
    let token = token(dir.path(), url, "P1");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();

    // The first sync: the page's request (the whole sheet, reset) and answer, one request.
    let mut phone = base_doc();
    let h0 = phone.get_heads()[0];
    let mut sync = SyncDriver::new(HashMap::new());
    assert_eq!(hex::encode(cbor(&request(&mut sync, &mut phone))), hex::encode(block("first_request")));
    let (status, body) = sync_post(addr, &token, &block("first_request"));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("first_response"))));
    let incoming = sync.receive(ciborium::from_reader(body.as_slice()).expect("response"));
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    assert!(matches!(next(&mut sync, &mut phone), Next::Done), "one request");
    assert_eq!(sync.states()[ID].shared_heads, vec![h0]);

    let states: HashMap<String, State> =
        sync.into_states().into_iter().map(|(id, s)| (id, State::decode(&s.encode()).expect("decode"))).collect();

    // The page's idle request: the server's digest agrees, nothing to say.
    let (status, body) = sync_post(addr, &token, &block("idle_request"));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("idle_response"))));
    // The same without `docs` (the page shows it beside the block): the same answer.
    let minimal = [&[0xa2][..], &block("idle_request")[1..30]].concat();
    assert!(PAGE.contains(&hex::encode(&minimal)));
    let (status, body) = sync_post(addr, &token, &minimal);
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("idle_response"))));
    // The page's edit in one request (what the client builds), and the server's reply.
    edit(&mut phone);
    let mut sync = SyncDriver::new(states);
    assert_eq!(hex::encode(cbor(&request(&mut sync, &mut phone))), hex::encode(block("edit_request")));
    let (status, body) = sync_post(addr, &token, &block("edit_request"));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("edit_response"))));
    let edit_answer = body;
    // Had that answer been lost, the page's idle request (still stating h0) would be taken for it:
    // the edit is sent again in that one request, without need_manifest (section 2).
    let (status, body) = sync_post(addr, &token, &block("idle_request"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let again: SyncResponse = ciborium::from_reader(body.as_slice()).expect("response");
    assert!(!again.need_manifest && again.errors.is_empty(), "{again:?}");
    assert_eq!(again.docs.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [ID], "the edit again");
    let resent = Message::decode(&again.docs[0].msg).expect("a sync message");
    assert!(resent.heads == phone.get_heads() && resent.changes.len() == 1, "it brings h1 again: {resent:?}");
    // Merged, both sides share the edit: an idle request with the new digest is one quiet round.
    let incoming = sync.receive(ciborium::from_reader(edit_answer.as_slice()).expect("response"));
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    let mut sync = SyncDriver::new(sync.into_states());
    let after = request(&mut sync, &mut phone);
    let m1 = manifest_digest(&[ManifestEntry { id: ID.into(), heads: heads_digest(&phone.get_heads()) }]);
    assert!(after.docs.is_empty() && after.manifest.as_deref() == Some(&m1[..]), "{after:?}");
    let (status, body) = sync_post(addr, &token, &cbor(&after));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("idle_response"))), "no need_manifest");

    // The client restored from a backup taken before the edit: it sends the page's idle request again
    // (stating h0), the server's digest is over h1 and it has nothing to offer, so it asks for the
    // entries; the page's entries request (h0) makes it offer the sheet afresh.
    let (status, body) = sync_post(addr, &token, &block("idle_request"));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("need_manifest_response"))));
    let (status, body) = sync_post(addr, &token, &block("entries_request"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let response: SyncResponse = ciborium::from_reader(body.as_slice()).expect("response");
    assert!(!response.need_manifest && response.errors.is_empty(), "{response:?}");
    assert_eq!(response.docs.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [ID], "the sheet is offered afresh");

    // A peer's change: another device of the project sends the note on top of h1 (its first sync,
    // the whole document); the client's idle request with h1's digest gets the page's answer, and
    // once merged the client has nothing to say.
    let mut peer = phone.fork().with_actor(ActorId::from(PEER.to_vec()));
    peer_edit(&mut peer);
    let mut peer_sync = SyncDriver::new(HashMap::new());
    while !peer_sync.settled() {
        let request = match next(&mut peer_sync, &mut peer) {
            Next::Send(r) => r,
            Next::Done => break,
            Next::GiveUp => panic!("the peer's sync did not settle"),
        };
        let (status, body) = sync_post(addr, &peer_token, &cbor(&request));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let incoming = peer_sync.receive(ciborium::from_reader(body.as_slice()).expect("response"));
        assert!(incoming.errors.is_empty(), "{:?}", incoming.errors);
        for m in incoming.news {
            peer_sync.apply(&mut peer, &m).expect("apply");
        }
    }
    let mut sync = SyncDriver::new(persisted(&phone.get_heads()));
    let idle_h1 = request(&mut sync, &mut phone);
    let (status, body) = sync_post(addr, &token, &cbor(&idle_h1));
    assert_eq!((status, hex::encode(&body)), (200, hex::encode(block("peer_response"))));
    let incoming = sync.receive(ciborium::from_reader(body.as_slice()).expect("response"));
    sync.apply(&mut phone, &incoming.news[0]).expect("apply");
    assert_eq!(phone.get_heads(), peer.get_heads());
    assert!(matches!(next(&mut sync, &mut phone), Next::Done), "no acknowledgement");
}
