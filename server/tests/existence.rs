//! No existence oracle across projects: a sync message naming another project's document gets the
//! answer the same message about an id nobody holds gets, and nothing is stored.

mod common;

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use common::phone::SimPhone;
use common::records;
use common::*;
use record_schema::wire::{DocMessage, SyncRequest, SyncResponse};

/// Per-document errors as (code, field).
type Errors = Vec<(String, Option<String>)>;

/// Sends one message about `id`; returns the reply message (if any) and the errors.
fn ask(addr: &str, token: &str, id: &str, msg: Vec<u8>) -> (Option<Vec<u8>>, Errors) {
    let req = SyncRequest { v: 1, docs: vec![DocMessage { id: id.into(), msg }], ..Default::default() };
    let mut body = Vec::new();
    ciborium::into_writer(&req, &mut body).expect("encode");
    let (status, resp) = post(addr, "/v1/sync", &[("Authorization", &format!("Bearer {token}"))], &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    let resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("response");
    let reply = resp.docs.into_iter().find(|m| m.id == id).map(|m| m.msg);
    (reply, resp.errors.into_iter().map(|e| (e.code, e.field)).collect())
}

/// The first sync message of `doc` (its heads offered to a peer that has nothing).
fn first_message(doc: &mut AutoCommit) -> Vec<u8> {
    doc.sync().generate_sync_message(&mut State::new()).expect("a message").encode()
}

/// Offers `doc` as `id` until the server answers with an error or nothing more (the changes go in
/// the second round, once the server said what it lacks); returns the errors' (code, field).
fn offer(addr: &str, token: &str, id: &str, mut doc: AutoCommit) -> Errors {
    let mut state = State::new();
    for _round in 0..4 {
        let Some(msg) = doc.sync().generate_sync_message(&mut state) else { return Vec::new() };
        let (reply, errors) = ask(addr, token, id, msg.encode());
        if !errors.is_empty() {
            return errors;
        }
        let Some(reply) = reply else { return Vec::new() };
        doc.sync().receive_sync_message(&mut state, Message::decode(&reply).expect("message")).expect("apply");
    }
    Vec::new()
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let p1 = token(dir.path(), url, "P1");
    let p2 = token(dir.path(), url, "P2");
    let server = start_with(dir.path(), url);
    let addr = server.addr.as_str();
    let mut phone = SimPhone::new(p1.clone());
    phone.docs.insert("e1".into(), records::expense_doc(&records::expense("e1", "P1")));
    assert!(phone.sync(addr).errors.is_empty());

    // A question ("what do you have?") about P1's e1 from P2, and about an id nobody holds.
    let question = first_message(&mut AutoCommit::new());
    let held = ask(addr, &p2, "e1", question.clone());
    let unheld = ask(addr, &p2, "e-nobody", question);
    assert_eq!(held, unheld, "the same answer whether or not another project holds the id");
    assert!(held.1.is_empty(), "{held:?}");

    // An invalid record (another project's) under either id: the same error.
    let held = offer(addr, &p2, "e1", records::expense_doc(&records::expense("e1", "P1")));
    let unheld = offer(addr, &p2, "e-nobody", records::expense_doc(&records::expense("e-nobody", "P1")));
    assert_eq!(held, unheld, "the same error whether or not the id is held");
    assert_eq!(held.first().map(|e| e.0.as_str()), Some("forbidden"), "{held:?}");

    // A valid P2 record under P1's id cannot be stored: refused as taken, never merged into P1's.
    let errors = offer(addr, &p2, "e1", records::expense_doc(&records::expense("e1", "P2")));
    assert_eq!(errors.first().map(|e| e.0.as_str()), Some("id_taken"), "{errors:?}");
    let mut fresh = SimPhone::new(token(dir.path(), url, "P1"));
    fresh.sync(addr);
    assert_eq!(
        fresh.record("e1"),
        record_schema::Record::Expense(records::expense("e1", "P1")),
        "P1's record untouched"
    );
    let mut other = SimPhone::new(token(dir.path(), url, "P2"));
    other.sync(addr);
    assert!(other.docs.is_empty(), "P2 holds nothing: {:?}", other.docs.keys().collect::<Vec<_>>());
}

#[test]
fn another_project_s_ids_answer_as_unknown_ones_on_sqlite() {
    story(None);
}

#[test]
fn another_project_s_ids_answer_as_unknown_ones_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}
