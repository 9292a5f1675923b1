//! The client side of a sync (docs/sync-protocol.md), without I/O: one `SyncDriver` per sync holds
//! the rules every client follows (the phone's `Store::sync`, the server tests' simulated phones,
//! the load generator); the caller does the HTTP and keeps the documents wherever it keeps them.
//! (Half of this file is its unit tests, kept beside the rules they pin down.)
//!
//! A sync is rounds of one request and one response, each carrying standard Automerge sync
//! messages for many documents:
//!
//! ```text
//! let mut sync = SyncDriver::new(stored_states);          // reset on the first request if none
//! while !sync.settled() {
//!     for id in sync.candidates(stored_ids) {             // stored ∪ stated, minus refused
//!         sync.offer(id, doc_or_none);                    // a message unless quiet
//!     }
//!     let request = match sync.request(|id| is_stored(id)) {   // + manifest digest, entries, reset
//!         Next::Send(r) => r,
//!         Next::Done => break,                            // nothing more to say
//!         Next::GiveUp => return Err(..),                 // MAX_ROUNDS without settling
//!     };
//!     let incoming = sync.receive(post(request));         // refused ids forgotten
//!     for m in incoming.news { sync.apply(doc_or_new(&m.id), &m) }  // or state_mut/merged/refuse
//!     persist(sync.states());                             // after every round: idempotent steps
//! }
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};

use crate::wire::{
    DocError, DocMessage, Fetch, Fetched, ManifestEntry, PROTOCOL_VERSION, SyncRequest, SyncResponse, WireScope,
    heads_digest, manifest_digest, prepare_first_offer, prepare_state, same_heads,
};

/// Requests in one sync before giving up on it settling (the next sync carries on).
pub const MAX_ROUNDS: u32 = 30;

/// The `DocError::code` of a document this client refused itself (a bad message, or a merge its
/// own checks refused).
pub const REFUSED_BY_PHONE: &str = "refused_by_phone";

/// What to do after building the next request.
#[derive(Debug)]
pub enum Next {
    Send(SyncRequest),
    /// The server's news is answered and there is nothing more to say: a further round would only
    /// confirm it (Automerge answers whenever an answer is due).
    Done,
    /// `MAX_ROUNDS` requests went without settling (other devices editing the same documents all
    /// the while); what was exchanged is kept and the next sync continues.
    GiveUp,
}

/// One response, sorted for the caller.
#[derive(Debug, Default)]
pub struct Incoming {
    /// Messages to merge, in the server's order (none for documents refused in this sync).
    pub news: Vec<DocMessage>,
    /// Documents the server refused; their sync states are already forgotten.
    pub errors: Vec<DocError>,
    /// The server asked for the full manifest (sent with the next request, once per sync).
    pub need_manifest: bool,
}

/// One sync's state and rules. The sync states come in from storage and go back out
/// (`states`, `into_states`); nothing else outlives the sync.
#[derive(Debug, Default)]
pub struct SyncDriver {
    states: HashMap<String, State>,
    /// Documents refused in this sync (by the server or by the caller): their state is forgotten,
    /// so the next sync starts them afresh, and they are not offered again in this one, so one bad
    /// document never stops the rest from settling.
    refused: HashSet<String>,
    /// Still to be sent: set on the first request of a store with no sync state at all (new, or
    /// wiped and reinstalled), so the server forgets what it believed this device held.
    reset: bool,
    /// The server asked for the full manifest and it goes with the next request.
    entries_due: bool,
    /// The server has more documents to offer (`SyncResponse::more`): the next request goes even
    /// with nothing to say.
    more_due: bool,
    /// The full manifest went out in this sync (at most once: a second mismatch cannot be helped
    /// by sending the same entries again).
    entries_sent: bool,
    /// Requests sent.
    round: u32,
    /// Messages offered for the request being built.
    outgoing: Vec<DocMessage>,
    /// Documents in the last request.
    last_sent: usize,
    /// The `dropped` of the request awaiting its response.
    in_flight_dropped: Vec<String>,
    settled: bool,
    /// Sync scopes (docs/sync-scopes.md): the fingerprint sent on every request (`None`: a client that
    /// does not apply scopes, served the whole project), and what goes once, on the first request.
    scope_fp: Option<Vec<u8>>,
    dropped: Vec<String>,
    fetch: Vec<Fetch>,
    /// The dropped ids of the request the last response answered (the caller forgets them then).
    dropped_answered: Vec<String>,
    /// What the responses carried: the newest `as_of` and `scope`, every `fetched` and `own`.
    as_of: Option<String>,
    scope: Option<WireScope>,
    fetched: Vec<Fetched>,
    own: Vec<String>,
    /// Some response of this sync asked for the manifest or refused a document: the server's
    /// view of the phone is not provably the phone's, so no eviction plan follows this sync.
    troubled: bool,
}

impl SyncDriver {
    /// Starts a sync from the states persisted by the last one (`State::decode` of what
    /// `State::encode` kept: the heads both sides last agreed on).
    pub fn new(states: HashMap<String, State>) -> Self {
        let reset = states.is_empty();
        SyncDriver { states, reset, ..Default::default() }
    }

    /// This client applies sync scopes: every request carries `scope_fp` (the fingerprint of the
    /// `WireScope` last received, or empty when none was), and the first one `dropped` (documents
    /// evicted since the server last answered) and `fetch` (wanted whatever the scope).
    pub fn scoped(mut self, scope_fp: Vec<u8>, dropped: Vec<String>, fetch: Vec<Fetch>) -> Self {
        self.scope_fp = Some(scope_fp);
        self.dropped = dropped;
        self.fetch = fetch;
        self
    }

    /// The documents to offer in the next request, sorted: every stored one, plus any the server
    /// offered that is not stored (it still needs an answer, "I have nothing", or its changes never
    /// come), minus those refused in this sync.
    pub fn candidates(&self, stored: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = stored.into_iter().filter(|id| !self.refused.contains(id)).collect();
        ids.extend(self.states.keys().filter(|id| !self.refused.contains(*id)).cloned());
        ids
    }

    /// Adds `id`'s message to the next request, if it has something to say. `doc` is the stored
    /// document, `None` when it is not stored (answered from an empty document).
    pub fn offer(&mut self, id: String, doc: Option<&mut AutoCommit>) {
        if self.refused.contains(&id) {
            return;
        }
        let state = self.state_mut(&id);
        let message = match doc {
            Some(doc) => {
                // Both sides agree on exactly these heads: stay quiet. Either the server has said
                // nothing in this sync (it offers its own news unasked: an idle sync is one tiny
                // round however many documents the phone holds), or its message just brought this
                // document to the server's heads and asked for nothing, which the server already
                // counts as delivered: no acknowledgement round (docs/sync-protocol.md).
                if quiet(state, &doc.get_heads()) {
                    return;
                }
                prepare_state(state);
                // A document the server has never shared with this phone goes whole at once
                // rather than heads first and changes a round later.
                prepare_first_offer(state);
                doc.sync().generate_sync_message(state)
            }
            None => AutoCommit::new().sync().generate_sync_message(state),
        };
        if let Some(m) = message {
            self.outgoing.push(DocMessage { id, msg: m.encode() });
        }
    }

    /// Finishes the request from the messages offered: the manifest digest over the stored
    /// documents (`is_stored`), the full manifest if the server asked for it, and `reset` on the
    /// first request only. The first request always goes (an idle sync is one round, which lets the
    /// server offer its news and check the digest); later ones only with something to say.
    pub fn request(&mut self, is_stored: impl Fn(&str) -> bool) -> Next {
        let docs = std::mem::take(&mut self.outgoing);
        if self.round > 0 && docs.is_empty() && !self.entries_due && !self.more_due {
            return Next::Done;
        }
        if self.round >= MAX_ROUNDS {
            return Next::GiveUp;
        }
        self.round += 1;
        self.last_sent = docs.len();
        let with_entries = std::mem::take(&mut self.entries_due);
        self.entries_sent |= with_entries;
        let entries = self.manifest(is_stored);
        // Dropped ids and fetches go once: the server applies them on receipt, and a response to a
        // later request of the same sync is no answer to them (a lost response fails the sync, and
        // the next sync sends them again).
        let (dropped, fetch) = (std::mem::take(&mut self.dropped), std::mem::take(&mut self.fetch));
        self.dropped_answered.clear();
        self.in_flight_dropped = dropped.clone();
        Next::Send(SyncRequest {
            v: PROTOCOL_VERSION,
            reset: std::mem::take(&mut self.reset),
            manifest: Some(manifest_digest(&entries).to_vec()),
            entries: with_entries.then_some(entries),
            docs,
            scope_fp: self.scope_fp.clone(),
            dropped,
            fetch,
        })
    }

    /// What this client believes it shares with the server, document by document: the shared
    /// heads of each stored document that has any.
    fn manifest(&self, is_stored: impl Fn(&str) -> bool) -> Vec<ManifestEntry> {
        self.states
            .iter()
            .filter(|(id, s)| is_stored(id) && !s.shared_heads.is_empty())
            .map(|(id, s)| ManifestEntry { id: id.clone(), heads: heads_digest(&s.shared_heads) })
            .collect()
    }

    /// Takes the server's response: forgets the documents it refused, notes a manifest request,
    /// and decides whether this round settles the sync (see `settled`).
    pub fn receive(&mut self, mut response: SyncResponse) -> Incoming {
        for e in &response.errors {
            self.refuse(&e.id);
        }
        self.dropped_answered = std::mem::take(&mut self.in_flight_dropped);
        self.troubled |= response.need_manifest || !response.errors.is_empty();
        if response.as_of.is_some() {
            self.as_of = response.as_of.take();
        }
        if response.scope.is_some() {
            self.scope = response.scope.take();
        }
        self.fetched.append(&mut response.fetched);
        self.own.append(&mut response.own);
        self.entries_due = response.need_manifest && !self.entries_sent;
        self.more_due = response.more;
        // A document refused in this sync keeps being offered by the server until the next one:
        // not news.
        let mut news = response.docs;
        news.retain(|m| !self.refused.contains(&m.id));
        self.settled = self.last_sent == 0 && news.is_empty() && !self.entries_due && !self.more_due;
        Incoming { news, errors: response.errors, need_manifest: response.need_manifest }
    }

    /// Merges one message into `doc` (the stored document, or a new empty one). On failure the
    /// document is refused for this sync and the error says why.
    pub fn apply(&mut self, doc: &mut AutoCommit, m: &DocMessage) -> Result<(), DocError> {
        let merged = match Message::decode(&m.msg) {
            Ok(message) => doc.sync().receive_sync_message(self.state_mut(&m.id), message).map_err(|e| e.to_string()),
            Err(e) => Err(format!("bad sync message: {e}")),
        };
        match merged {
            Ok(()) => {
                self.merged(&m.id);
                Ok(())
            }
            Err(message) => {
                self.refuse(&m.id);
                Err(DocError { id: m.id.clone(), code: REFUSED_BY_PHONE.into(), message, field: None })
            }
        }
    }

    /// The sync state of `id`, for a caller whose own merge gate calls `receive_sync_message`
    /// (then `merged` or `refuse`).
    pub fn state_mut(&mut self, id: &str) -> &mut State {
        if !self.states.contains_key(id) {
            self.states.insert(id.to_string(), State::new());
        }
        self.states.get_mut(id).expect("inserted above")
    }

    /// After a message for `id` was merged: if the server says it still needs changes, whatever
    /// this client believes it sent did not land (a refused save, a lost response), so they may be
    /// sent again instead of never (Automerge does not re-send what it believes sent).
    pub fn merged(&mut self, id: &str) {
        if let Some(state) = self.states.get_mut(id)
            && state.their_need.as_ref().is_some_and(|n| !n.is_empty())
        {
            state.sent_hashes.clear();
        }
    }

    /// `id` was refused (by the server, or by this client's own checks): it starts afresh next
    /// sync instead of repeating what was refused, and is not offered again in this one.
    pub fn refuse(&mut self, id: &str) {
        self.states.remove(id);
        self.refused.insert(id.to_string());
    }

    /// The last round ended the sync: this client sent no message, the server sent no news and did
    /// not ask for the manifest.
    pub fn settled(&self) -> bool {
        self.settled
    }

    /// Requests sent so far.
    pub fn round(&self) -> u32 {
        self.round
    }

    /// The sync states, to persist after each round (`State::encode` keeps what matters).
    pub fn states(&self) -> &HashMap<String, State> {
        &self.states
    }

    /// Documents refused in this sync (their stored states are to be deleted).
    pub fn refused(&self) -> &HashSet<String> {
        &self.refused
    }

    pub fn into_states(self) -> HashMap<String, State> {
        self.states
    }

    /// The ids the last response answered as dropped (the caller stops sending them).
    pub fn dropped_answered(&self) -> &[String] {
        &self.dropped_answered
    }

    /// The project's day at the server, from the newest response that said it.
    pub fn as_of(&self) -> Option<&str> {
        self.as_of.as_deref()
    }

    /// The device's scope parameters, if a response of this sync sent them (the request's
    /// `scope_fp` was not theirs).
    pub fn scope(&self) -> Option<&WireScope> {
        self.scope.as_ref()
    }

    /// The answers to this sync's `fetch`, as they came.
    pub fn fetched(&self) -> &[Fetched] {
        &self.fetched
    }

    /// Documents offered in this sync that the device's holder owns.
    pub fn own(&self) -> &[String] {
        &self.own
    }

    /// No response of this sync asked for the manifest or refused a document, and no document was
    /// refused here: with a settled sync, the server provably shares the phone's heads.
    pub fn untroubled(&self) -> bool {
        !self.troubled && self.refused.is_empty()
    }
}

/// Nothing to say about a document at `heads`: the shared heads are its heads and the server has
/// said nothing in this sync, or said it is at those heads and needs nothing.
fn quiet(state: &State, heads: &[automerge::ChangeHash]) -> bool {
    same_heads(&state.shared_heads, heads)
        && state.their_heads.as_ref().is_none_or(|theirs| same_heads(theirs, heads))
        && state.their_need.as_ref().is_none_or(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;

    fn doc_with(value: &str) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", value).expect("put");
        doc
    }

    fn edit(doc: &mut AutoCommit, value: &str) {
        doc.put(ROOT, "k", value).expect("put");
    }

    fn value(doc: &AutoCommit) -> Option<String> {
        doc.get(ROOT, "k").expect("get").and_then(|(v, _)| v.as_str().map(str::to_string))
    }

    /// Offers `docs` and builds the request; panics unless it is to be sent.
    fn send(sync: &mut SyncDriver, docs: &mut HashMap<String, AutoCommit>) -> SyncRequest {
        match build(sync, docs) {
            Next::Send(r) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn build(sync: &mut SyncDriver, docs: &mut HashMap<String, AutoCommit>) -> Next {
        for id in sync.candidates(docs.keys().cloned()) {
            let doc = docs.get_mut(&id);
            sync.offer(id, doc);
        }
        sync.request(|id| docs.contains_key(id))
    }

    /// A server holding documents and one device's states, answering with Automerge itself.
    #[derive(Default)]
    struct Server {
        docs: HashMap<String, AutoCommit>,
        states: HashMap<String, State>,
    }

    impl Server {
        fn answer(&mut self, request: SyncRequest) -> SyncResponse {
            let mut response = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
            for m in request.docs {
                let doc = self.docs.entry(m.id.clone()).or_default();
                let state = self.states.entry(m.id.clone()).or_default();
                doc.sync().receive_sync_message(state, Message::decode(&m.msg).expect("message")).expect("merge");
                prepare_state(state);
                let reply = doc.sync().generate_sync_message(state);
                if let Some(reply) = reply {
                    // As the real server: a reply that brings the phone to our heads counts as
                    // delivered.
                    crate::wire::assume_delivered(state, &reply, &doc.get_heads());
                    response.docs.push(DocMessage { id: m.id, msg: reply.encode() });
                }
                // As the real server, which keeps only what `State::encode` keeps between requests:
                // an in-memory state would keep the phone's Bloom filter, and a later change that is
                // a false positive in it (about 1 in 100) would go as heads only.
                *state = State::decode(&state.encode()).expect("decode");
            }
            response
        }

        /// An unasked offer of `id` (a document the phone has not seen at its current version).
        fn offer(&mut self, id: &str) -> Option<DocMessage> {
            let doc = self.docs.get_mut(id)?;
            let state = self.states.entry(id.to_string()).or_default();
            prepare_state(state);
            prepare_first_offer(state);
            let msg = doc.sync().generate_sync_message(state);
            let msg = msg?;
            crate::wire::assume_delivered(state, &msg, &doc.get_heads());
            *state = State::decode(&state.encode()).expect("decode");
            Some(DocMessage { id: id.to_string(), msg: msg.encode() })
        }

        /// The server's manifest digest for the device.
        fn manifest(&self) -> [u8; crate::wire::MANIFEST_DIGEST_LEN] {
            let entries: Vec<ManifestEntry> = self
                .states
                .iter()
                .filter(|(_, s)| !s.shared_heads.is_empty())
                .map(|(id, s)| ManifestEntry { id: id.clone(), heads: heads_digest(&s.shared_heads) })
                .collect();
            manifest_digest(&entries)
        }
    }

    fn persisted(states: &HashMap<String, State>) -> HashMap<String, State> {
        states.iter().map(|(id, s)| (id.clone(), State::decode(&s.encode()).expect("decode"))).collect()
    }

    #[test]
    fn a_new_document_and_a_peers_change_each_take_one_round() {
        let mut server = Server::default();
        let mut docs = HashMap::from([("a".to_string(), doc_with("phone's"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        assert_eq!(sync_all(&mut sync, &mut docs, &mut server), 1, "a new document goes whole, in one round");
        assert_eq!(value(&server.docs["a"]).as_deref(), Some("phone's"));
        let states = persisted(sync.states());

        // A peer's edit of "a" and a document new to the phone, offered unasked.
        edit(server.docs.get_mut("a").expect("a"), "peer's");
        server.docs.insert("b".into(), doc_with("new"));
        let mut sync = SyncDriver::new(states);
        let request = send(&mut sync, &mut docs);
        assert!(request.docs.is_empty(), "{request:?}");
        assert_eq!(request.manifest.as_deref(), Some(&server.manifest()[..]), "both sides agree");
        let mut response = server.answer(request);
        response.docs.extend(server.offer("a"));
        response.docs.extend(server.offer("b"));
        for m in sync.receive(response).news {
            sync.apply(docs.entry(m.id.clone()).or_default(), &m).expect("apply");
        }
        assert!(matches!(build(&mut sync, &mut docs), Next::Done), "no acknowledgement round");
        assert_eq!(sync.round(), 1);
        assert_eq!(value(&docs["a"]).as_deref(), Some("peer's"));
        assert_eq!(value(&docs["b"]).as_deref(), Some("new"));

        // The next sync is one quiet round on which both sides' digests agree.
        let mut sync = SyncDriver::new(persisted(sync.states()));
        let idle = send(&mut sync, &mut docs);
        assert!(idle.docs.is_empty(), "{idle:?}");
        assert_eq!(idle.manifest.as_deref(), Some(&server.manifest()[..]));
    }

    /// Syncs `docs` with `server` to the end; returns the rounds.
    fn sync_all(sync: &mut SyncDriver, docs: &mut HashMap<String, AutoCommit>, server: &mut Server) -> u32 {
        while !sync.settled() {
            let request = match build(sync, docs) {
                Next::Send(r) => r,
                Next::Done => break,
                Next::GiveUp => panic!("gave up"),
            };
            let incoming = sync.receive(server.answer(request));
            assert!(incoming.errors.is_empty());
            for m in incoming.news {
                sync.apply(docs.entry(m.id.clone()).or_default(), &m).expect("apply");
            }
        }
        sync.round()
    }

    fn reply(id: &str) -> DocMessage {
        let mut doc = doc_with("server");
        let msg = doc.sync().generate_sync_message(&mut State::new()).expect("a first message");
        DocMessage { id: id.into(), msg: msg.encode() }
    }

    fn response(docs: Vec<DocMessage>, errors: &[&str], need_manifest: bool) -> SyncResponse {
        let errors = errors
            .iter()
            .map(|id| DocError { id: (*id).into(), code: "invalid".into(), message: "no".into(), field: None })
            .collect();
        SyncResponse { v: PROTOCOL_VERSION, docs, errors, need_manifest, ..Default::default() }
    }

    #[test]
    fn settles_only_when_nothing_was_sent_nothing_came_and_no_manifest_was_asked() {
        let mut docs = HashMap::new();
        let mut sync = SyncDriver::new(HashMap::new());
        let first = send(&mut sync, &mut docs);
        assert!(first.docs.is_empty(), "an idle first request still goes");
        sync.receive(response(vec![reply("a")], &[], false));
        assert!(!sync.settled(), "news arrived");

        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut docs);
        sync.receive(response(vec![], &[], true));
        assert!(!sync.settled(), "the manifest was asked for");

        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut HashMap::from([("a".to_string(), doc_with("phone"))]));
        sync.receive(response(vec![], &[], false));
        assert!(!sync.settled(), "this request carried a message");

        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut docs);
        sync.receive(response(vec![], &[], false));
        assert!(sync.settled());

        // A message about a document refused in the same response is not news.
        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut docs);
        let incoming = sync.receive(response(vec![reply("bad")], &["bad"], false));
        assert!(incoming.news.is_empty() && sync.settled(), "{incoming:?}");
    }

    #[test]
    fn a_full_sync_converges_and_an_idle_one_is_one_quiet_round() {
        let mut server = Server::default();
        server.docs.insert("s".into(), doc_with("server's"));
        let mut docs = HashMap::from([("a".to_string(), doc_with("phone's"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        sync_all(&mut sync, &mut docs, &mut server);
        let states = sync.into_states();
        assert_eq!(value(&server.docs["a"]).as_deref(), Some("phone's"));
        // (The server here answers only what it is sent: the phone's empty-document answer asked
        // for "s" once the server offered it; here it was never offered.)
        assert!(!docs.contains_key("s"));

        // Between syncs only the shared heads are kept.
        let persisted: HashMap<String, State> =
            states.iter().map(|(id, s)| (id.clone(), State::decode(&s.encode()).expect("decode"))).collect();
        let mut sync = SyncDriver::new(persisted);
        let idle = send(&mut sync, &mut docs);
        assert!(idle.docs.is_empty() && !idle.reset, "{idle:?}");
        let incoming = sync.receive(server.answer(idle));
        assert!(incoming.news.is_empty() && sync.settled());
        assert_eq!(sync.round(), 1);
    }

    #[test]
    fn a_document_offered_but_not_stored_is_answered_from_an_empty_document() {
        let mut server_doc = doc_with("server's");
        let mut server_state = State::new();
        let offer = server_doc.sync().generate_sync_message(&mut server_state).expect("offer");
        let mut sync = SyncDriver::new(HashMap::new());
        let mut docs = HashMap::new();
        send(&mut sync, &mut docs);
        let incoming = sync.receive(response(vec![DocMessage { id: "s".into(), msg: offer.encode() }], &[], false));
        // The caller keeps nothing yet (a merge that brought nothing stores nothing), but the state
        // stays, and the next request answers for it.
        let mut empty = AutoCommit::new();
        sync.apply(&mut empty, &incoming.news[0]).expect("apply");
        let next = send(&mut sync, &mut docs);
        assert_eq!(next.docs.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["s"]);
        // And the server then sends the document.
        server_doc
            .sync()
            .receive_sync_message(&mut server_state, Message::decode(&next.docs[0].msg).expect("msg"))
            .expect("receive");
        let changes = server_doc.sync().generate_sync_message(&mut server_state).expect("changes");
        let incoming = sync.receive(response(vec![DocMessage { id: "s".into(), msg: changes.encode() }], &[], false));
        let mut doc = AutoCommit::new();
        sync.apply(&mut doc, &incoming.news[0]).expect("apply");
        assert_eq!(value(&doc).as_deref(), Some("server's"));
    }

    #[test]
    fn a_refused_document_is_forgotten_and_not_offered_again_in_this_sync() {
        let mut docs = HashMap::from([("bad".to_string(), doc_with("x")), ("good".to_string(), doc_with("y"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        let first = send(&mut sync, &mut docs);
        assert_eq!(first.docs.len(), 2);
        let incoming = sync.receive(response(vec![reply("good")], &["bad"], false));
        assert_eq!(incoming.errors.len(), 1);
        sync.apply(docs.get_mut("good").expect("doc"), &incoming.news[0]).expect("apply");
        assert!(!sync.states().contains_key("bad") && sync.refused().contains("bad"));
        assert!(!sync.candidates(docs.keys().cloned()).contains("bad"));
        edit(docs.get_mut("bad").expect("doc"), "changed");
        let next = send(&mut sync, &mut docs);
        assert_eq!(next.docs.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["good"]);

        // Refused by this client's own checks: the same.
        let m = reply("good");
        sync.receive(response(vec![m], &[], false));
        sync.refuse("good");
        assert!(!sync.states().contains_key("good"));
        assert!(matches!(build(&mut sync, &mut docs), Next::Done));

        // A message that does not decode is refused by `apply`.
        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut HashMap::new());
        let garbage = DocMessage { id: "g".into(), msg: vec![0xff, 0x00] };
        let err = sync.apply(&mut AutoCommit::new(), &garbage).expect_err("refused");
        assert_eq!((err.id.as_str(), err.code.as_str()), ("g", REFUSED_BY_PHONE));
        assert!(sync.refused().contains("g"));
    }

    #[test]
    fn reset_goes_on_the_first_request_only_and_only_without_any_state() {
        let mut docs = HashMap::from([("a".to_string(), doc_with("x"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        assert!(send(&mut sync, &mut docs).reset);
        sync.receive(response(vec![], &[], false));
        edit(docs.get_mut("a").expect("doc"), "y");
        assert!(!send(&mut sync, &mut docs).reset);

        let mut sync = SyncDriver::new(HashMap::from([("a".to_string(), State::new())]));
        assert!(!send(&mut sync, &mut docs).reset);
    }

    #[test]
    fn entries_go_once_per_sync_and_only_after_the_server_asked() {
        let mut server = Server::default();
        let mut docs = HashMap::from([("a".to_string(), doc_with("x"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        sync_all(&mut sync, &mut docs, &mut server);
        let mut sync = SyncDriver::new(sync.into_states());

        let first = send(&mut sync, &mut docs);
        assert!(first.entries.is_none() && first.manifest.is_some());
        let incoming = sync.receive(response(vec![], &[], true));
        assert!(incoming.need_manifest && !sync.settled());
        let second = send(&mut sync, &mut docs);
        let entries = second.entries.as_ref().expect("entries after need_manifest");
        assert_eq!(entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(second.manifest.as_deref(), Some(&manifest_digest(entries)[..]));

        // Asked again: the same entries would not help; the round settles.
        sync.receive(response(vec![], &[], true));
        assert!(sync.settled());
        assert!(matches!(build(&mut sync, &mut docs), Next::Done));
    }

    #[test]
    fn more_to_come_asks_again_with_an_empty_request() {
        let mut docs = HashMap::new();
        let mut sync = SyncDriver::new(HashMap::new());
        send(&mut sync, &mut docs);
        let mut first = response(vec![reply("a")], &[], false);
        first.more = true;
        sync.receive(first);
        assert!(!sync.settled());
        // (Answering "a" from an empty document would say something: here the phone has nothing
        // to say, yet asks again.)
        sync.refuse("a");
        let next = send(&mut sync, &mut docs);
        assert!(next.docs.is_empty());
        sync.receive(response(vec![], &[], false));
        assert!(sync.settled());
        assert!(matches!(build(&mut sync, &mut docs), Next::Done));
    }

    #[test]
    fn gives_up_after_max_rounds_without_settling() {
        let mut docs = HashMap::from([("a".to_string(), doc_with("0"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        for round in 1..=MAX_ROUNDS {
            // Always something new to say, and a server that never settles it.
            edit(docs.get_mut("a").expect("doc"), &round.to_string());
            let request = send(&mut sync, &mut docs);
            assert_eq!(request.docs.len(), 1, "round {round}");
            sync.receive(response(vec![reply("a")], &[], false));
            assert!(!sync.settled());
        }
        assert_eq!(sync.round(), MAX_ROUNDS);
        edit(docs.get_mut("a").expect("doc"), "more");
        assert!(matches!(build(&mut sync, &mut docs), Next::GiveUp));
    }

    #[test]
    fn scope_fp_goes_on_every_request_dropped_and_fetch_on_the_first_only() {
        let mut docs = HashMap::new();
        // A client that does not apply scopes says nothing of them (served as before scopes).
        let mut plain = SyncDriver::new(HashMap::new());
        let r = send(&mut plain, &mut docs);
        assert!(r.scope_fp.is_none() && r.dropped.is_empty() && r.fetch.is_empty(), "{r:?}");

        let fetch = vec![
            Fetch::Record { id: "r9".into() },
            Fetch::Days { site: "S1".into(), from: "2026-01-01".into(), to: "2026-01-03".into() },
        ];
        let mut sync = SyncDriver::new(HashMap::new()).scoped(Vec::new(), vec!["a".into(), "b".into()], fetch.clone());
        let first = send(&mut sync, &mut docs);
        assert_eq!(first.scope_fp.as_deref(), Some(&[][..]), "empty: I apply scopes, have no parameters yet");
        assert_eq!((first.dropped.clone(), first.fetch.clone()), (vec!["a".to_string(), "b".to_string()], fetch));
        assert!(sync.dropped_answered().is_empty(), "nothing answered before a response");
        let mut more = response(vec![], &[], false);
        more.more = true;
        sync.receive(more);
        assert_eq!(sync.dropped_answered(), ["a", "b"], "the response answered the request that carried them");
        let second = send(&mut sync, &mut docs);
        assert_eq!(second.scope_fp.as_deref(), Some(&[][..]), "every request says it applies scopes");
        assert!(second.dropped.is_empty() && second.fetch.is_empty(), "{second:?}");
        sync.receive(response(vec![], &[], false));
        assert!(sync.dropped_answered().is_empty());
        assert!(sync.settled());

        // The stored fingerprint is what goes.
        let mut sync = SyncDriver::new(HashMap::new()).scoped(vec![7; 16], Vec::new(), Vec::new());
        assert_eq!(send(&mut sync, &mut docs).scope_fp, Some(vec![7; 16]));
    }

    #[test]
    fn what_responses_carry_is_kept_for_the_caller() {
        let mut docs = HashMap::new();
        let scope = WireScope {
            fp: vec![1; 16],
            holder: "p:wang".into(),
            sites: Some(vec!["S1".into()]),
            window_days: 14,
            own_days: None,
            open_reach: "own".into(),
            full: false,
        };
        let mut sync = SyncDriver::new(HashMap::new()).scoped(Vec::new(), Vec::new(), Vec::new());
        send(&mut sync, &mut docs);
        let mut first = response(vec![reply("r1")], &[], false);
        first.as_of = Some("2026-12-06".into());
        first.scope = Some(scope.clone());
        first.fetched = vec![Fetched { i: 0, ids: vec!["r1".into()], more: false }];
        first.own = vec!["r1".into()];
        first.more = true;
        sync.receive(first);
        sync.refuse("r1");
        send(&mut sync, &mut docs);
        let mut second = response(vec![], &[], false);
        second.as_of = Some("2026-12-07".into());
        second.own = vec!["r2".into()];
        sync.receive(second);
        assert_eq!(sync.as_of(), Some("2026-12-07"), "the newest day said");
        assert_eq!(sync.scope(), Some(&scope), "kept though the second response did not repeat it");
        assert_eq!(sync.fetched(), [Fetched { i: 0, ids: vec!["r1".into()], more: false }]);
        assert_eq!(sync.own(), ["r1", "r2"]);
        assert!(!sync.untroubled(), "a document was refused here");

        let quiet = |need_manifest: bool, errors: &[&str]| {
            let mut sync = SyncDriver::new(HashMap::new()).scoped(Vec::new(), Vec::new(), Vec::new());
            send(&mut sync, &mut HashMap::new());
            sync.receive(response(vec![], errors, need_manifest));
            sync.untroubled()
        };
        assert!(quiet(false, &[]));
        assert!(!quiet(true, &[]), "the server asked for the manifest");
        assert!(!quiet(false, &["x"]), "the server refused a document");
    }

    #[test]
    fn changes_the_server_still_needs_are_sent_again() {
        let mut docs = HashMap::from([("a".to_string(), doc_with("x"))]);
        let mut sync = SyncDriver::new(HashMap::new());
        let first = send(&mut sync, &mut docs);
        // A server that got the phone's heads but not its changes (they were lost on the way, or it
        // was restored from an older database) says it needs them.
        let needs = |m: &DocMessage| {
            let (mut doc, mut state) = (AutoCommit::new(), State::new());
            let mut message = Message::decode(&m.msg).expect("msg");
            message.changes = Vec::<Vec<u8>>::new().into();
            doc.sync().receive_sync_message(&mut state, message).expect("receive");
            let reply = doc.sync().generate_sync_message(&mut state).expect("reply");
            assert!(!reply.need.is_empty(), "{reply:?}");
            DocMessage { id: m.id.clone(), msg: reply.encode() }
        };
        let incoming = sync.receive(response(vec![needs(&first.docs[0])], &[], false));
        sync.apply(docs.get_mut("a").expect("doc"), &incoming.news[0]).expect("apply");
        let second = send(&mut sync, &mut docs);
        assert!(!Message::decode(&second.docs[0].msg).expect("msg").changes.is_empty());
        assert!(!sync.state_mut("a").sent_hashes.is_empty());

        // That request is lost; a server restarted from an older database still needs the changes.
        let incoming = sync.receive(response(vec![needs(&first.docs[0])], &[], false));
        sync.apply(docs.get_mut("a").expect("doc"), &incoming.news[0]).expect("apply");
        assert!(sync.state_mut("a").sent_hashes.is_empty());
        let third = send(&mut sync, &mut docs);
        assert!(!Message::decode(&third.docs[0].msg).expect("msg").changes.is_empty(), "sent again");
    }
}
