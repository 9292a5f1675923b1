//! Hot documents: parsed Automerge documents kept in memory between syncs, bounded by bytes, so a
//! sync does not reload and re-parse a document from the database each time.
//!
//! A cached copy is used only while its version is still the database's version. Another server
//! process writing the document bumps that version, so replicas on one database stay coherent with
//! one primary-key lookup per document instead of a reload. A copy is taken out of the cache while a
//! request works on it and put back afterwards, so two requests never share a mutable document.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use lru::LruCache;
use prometheus_client::metrics::counter::Counter;

use crate::docstore::StoredDoc;

/// Automerge's in-memory form of a document is several times its compressed saved form; weigh
/// documents by saved bytes times this factor (measured ~6-10x on day sheets with automerge 0.12).
const MEMORY_PER_SAVED_BYTE: usize = 8;

/// An LRU map bounded by the summed weight of its values (about their bytes in memory), behind a
/// mutex: the one mechanism under the document, device-state and offer caches. A value heavier
/// than the whole limit is not kept.
struct WeighedLru<K: Hash + Eq, V> {
    inner: Mutex<Weighed<K, V>>,
    limit: usize,
}

/// Each value with the weight it was put with, and their sum.
struct Weighed<K: Hash + Eq, V> {
    lru: LruCache<K, (V, usize)>,
    total: usize,
}

impl<K: Hash + Eq, V> WeighedLru<K, V> {
    fn new(limit: usize) -> Self {
        WeighedLru { inner: Mutex::new(Weighed { lru: LruCache::unbounded(), total: 0 }), limit }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Weighed<K, V>> {
        // A panic while holding the lock leaves a consistent map (every operation is a single
        // insert or remove with its weight), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `key`'s value out.
    fn pop<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let mut inner = self.lock();
        let (value, w) = inner.lru.pop(key)?;
        inner.total = inner.total.saturating_sub(w);
        Some(value)
    }

    /// A copy of `key`'s value, left in (and marked recently used).
    fn get_cloned(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        self.lock().lru.get(key).map(|(value, _)| value.clone())
    }

    /// Puts `value` in at `weight`, evicting the least recently used beyond the limit.
    fn put(&self, key: K, value: V, weight: usize) {
        if weight > self.limit {
            return;
        }
        let mut inner = self.lock();
        if let Some((_, old)) = inner.lru.put(key, (value, weight)) {
            inner.total = inner.total.saturating_sub(old);
        }
        inner.total += weight;
        while inner.total > self.limit {
            let Some((_, (_, w))) = inner.lru.pop_lru() else { break };
            inner.total = inner.total.saturating_sub(w);
        }
    }

    /// Weight held, and the number of values.
    fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.total, inner.lru.len())
    }
}

pub struct DocCache {
    lru: WeighedLru<String, StoredDoc>,
    /// Devices' sync states, beside the documents they refer to.
    pub devices: DeviceCache,
    /// Offers generated for one device, reused for every other device at the same shared heads.
    pub offers: OfferCache,
    /// Exported on /metrics.
    pub hits: Counter,
    pub misses: Counter,
}

fn weight(doc: &StoredDoc) -> usize {
    doc.saved_bytes.saturating_mul(MEMORY_PER_SAVED_BYTE) + doc.reading.as_ref().map_or(0, |r| r.approx_bytes())
}

impl DocCache {
    /// A cache holding at most about `limit_bytes` of documents (0 disables it).
    pub fn new(limit_bytes: usize) -> Self {
        DocCache {
            lru: WeighedLru::new(limit_bytes),
            devices: DeviceCache::new(limit_bytes / DEVICE_SHARE),
            offers: OfferCache::new(limit_bytes / OFFER_SHARE),
            hits: Counter::default(),
            misses: Counter::default(),
        }
    }

    /// Takes the cached copy of `id` if it is at `version`; a stale copy is dropped.
    pub fn take(&self, id: &str, version: i64) -> Option<StoredDoc> {
        match self.lru.pop(id) {
            Some(doc) if doc.version == version => {
                self.hits.inc();
                Some(doc)
            }
            _ => {
                self.misses.inc();
                None
            }
        }
    }

    /// Puts a document back (or in for the first time), evicting the least recently used beyond
    /// the limit. A document larger than the whole cache is not kept.
    pub fn put(&self, doc: StoredDoc) {
        let w = weight(&doc);
        self.lru.put(doc.id.clone(), doc, w);
    }

    /// Drops `id` (e.g. after a failed write left the copy in an unknown state).
    pub fn forget(&self, id: &str) {
        self.lru.pop(id);
    }

    /// Approximate bytes held, and the number of documents.
    pub fn usage(&self) -> (usize, usize) {
        self.lru.usage()
    }
}

/// Device sync states get this fraction of the document budget, on top of it (a state is ~100 B
/// against a sheet's ~10 KB in memory, so a sixteenth holds every device of a busy server).
const DEVICE_SHARE: usize = 16;

/// What the server believes a device holds of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocState {
    /// `sync::State::encode()`: the heads both sides share, as stored in `sync_states.state`.
    pub state: Vec<u8>,
    /// The document version the device holds entirely (0: not known to hold one).
    pub seen_version: i64,
}

/// One device's rows of `sync_states` and its manifest digest, as of `devices.sync_gen == generation`.
#[derive(Debug, Clone, Default)]
pub struct DeviceStates {
    pub generation: i64,
    pub manifest: [u8; record_schema::wire::MANIFEST_DIGEST_LEN],
    pub docs: HashMap<String, DocState>,
    /// What the device's last request assumed delivered (`devices.unconfirmed`): the states it
    /// replaced, to take back if the phone's next manifest shows the answer was lost (issue 25).
    pub unconfirmed: Option<Vec<u8>>,
    /// The project change sequence up to which every document was handled for the device
    /// (`devices.sync_cursor`): only documents written after it are listed as unseen.
    pub cursor: i64,
    /// `docs` holds only the states requests needed (read on demand, `SyncSession::load_states`),
    /// not all of the device's: an idle sync then reads none, whatever the device holds.
    pub partial: bool,
}

/// Bytes one document's state weighs in memory, about: a 36-byte id, a state of one or two heads
/// (~80 bytes) and the map's overhead.
const STATE_WEIGHT: usize = 200;

/// A device's weight, in constant time: it is weighed on every take and put, and an idle sync's
/// cost must not grow with the documents the device holds (as a sum over them would).
fn device_weight(d: &DeviceStates) -> usize {
    d.docs.len() * STATE_WEIGHT + d.unconfirmed.as_ref().map_or(0, Vec::len) + 64
}

/// Devices' sync states kept between requests, so a sync does not read them back. Like documents, a
/// copy is taken out while a request works on it, and is used only while its generation is still
/// the database's (read with the token on every request): another process's write bumps it.
pub struct DeviceCache {
    lru: WeighedLru<String, DeviceStates>,
    pub hits: Counter,
    pub misses: Counter,
}

impl DeviceCache {
    pub fn new(limit_bytes: usize) -> Self {
        DeviceCache { lru: WeighedLru::new(limit_bytes), hits: Counter::default(), misses: Counter::default() }
    }

    /// Takes the device's states if they are at generation `generation`; stale states are dropped.
    pub fn take(&self, device: &str, generation: i64) -> Option<DeviceStates> {
        match self.lru.pop(device) {
            Some(d) if d.generation == generation => {
                self.hits.inc();
                Some(d)
            }
            _ => {
                self.misses.inc();
                None
            }
        }
    }

    /// Puts a device's states back, evicting the least recently used beyond the limit.
    pub fn put(&self, device: &str, states: DeviceStates) {
        let w = device_weight(&states);
        self.lru.put(device.to_string(), states, w);
    }

    /// Approximate bytes held, and the number of devices.
    pub fn usage(&self) -> (usize, usize) {
        self.lru.usage()
    }
}

/// Offers get this fraction of the document budget, on top of it.
const OFFER_SHARE: usize = 16;

/// An offer larger than this is not kept (a whole document's first offer to a new phone: rare, and
/// big enough to push out many peers' small changes).
const MAX_OFFER_BYTES: usize = 64 * 1024;

/// What an offer is a function of: the document (its heads fix its content) and the heads the device
/// shares with the server (the sync state the server keeps between requests is only those heads,
/// `State::encode`, so every device at the same shared heads gets the same message). The document's
/// kind fixes the rest (read-only or not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfferKey {
    id: String,
    heads: Vec<automerge::ChangeHash>,
    shared: Vec<automerge::ChangeHash>,
}

impl OfferKey {
    pub fn new(id: &str, heads: &[automerge::ChangeHash], shared: &[automerge::ChangeHash]) -> Self {
        let (mut heads, mut shared) = (heads.to_vec(), shared.to_vec());
        heads.sort();
        shared.sort();
        OfferKey { id: id.to_string(), heads, shared }
    }

    fn weight(&self, offer: &Offer) -> usize {
        self.id.len() + 32 * (self.heads.len() + self.shared.len()) + offer.msg.as_ref().map_or(0, Vec::len) + 64
    }
}

/// One generated offer: the encoded sync message (none: nothing to say) and whether it brings the
/// device to the document's heads (`wire::assume_delivered`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub msg: Option<Vec<u8>>,
    pub delivered: bool,
}

/// Offers of peers' changes, by `OfferKey`. With ten phones on a project each edit is offered to
/// nine others from the same shared heads: generating the Automerge message once instead of nine
/// times is most of what offering costs (`docs/measurements.md`, "Fourth run").
pub struct OfferCache {
    lru: WeighedLru<OfferKey, Offer>,
    pub hits: Counter,
    pub misses: Counter,
}

impl OfferCache {
    pub fn new(limit_bytes: usize) -> Self {
        OfferCache { lru: WeighedLru::new(limit_bytes), hits: Counter::default(), misses: Counter::default() }
    }

    pub fn get(&self, key: &OfferKey) -> Option<Offer> {
        let found = self.lru.get_cloned(key);
        match &found {
            Some(_) => self.hits.inc(),
            None => self.misses.inc(),
        };
        found
    }

    /// Keeps an offer, evicting the least recently used beyond the limit.
    pub fn put(&self, key: OfferKey, offer: Offer) {
        if offer.msg.as_ref().is_some_and(|m| m.len() > MAX_OFFER_BYTES) {
            return;
        }
        let w = key.weight(&offer);
        self.lru.put(key, offer, w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::AutoCommit;

    fn doc(id: &str, version: i64, saved_bytes: usize) -> StoredDoc {
        StoredDoc::for_tests(id, version, AutoCommit::new(), saved_bytes)
    }

    #[test]
    fn stale_versions_are_dropped_and_bytes_bound_the_cache() {
        let cache = DocCache::new(100 * MEMORY_PER_SAVED_BYTE);
        cache.put(doc("a", 1, 40));
        assert!(cache.take("a", 2).is_none(), "another process wrote version 2: the copy is stale");
        assert!(cache.take("a", 1).is_none(), "a stale copy is dropped, not kept");
        cache.put(doc("a", 1, 40));
        cache.put(doc("b", 1, 40));
        cache.put(doc("c", 1, 40)); // over 100: the least recently used ("a") goes
        assert_eq!(cache.usage(), (80 * MEMORY_PER_SAVED_BYTE, 2));
        assert!(cache.take("a", 1).is_none());
        assert!(cache.take("c", 1).is_some());
        cache.put(doc("huge", 1, 1000));
        assert_eq!(cache.usage().1, 1, "a document bigger than the cache is not kept");
    }

    #[test]
    fn device_states_are_used_only_at_their_generation() {
        let cache = DeviceCache::new(10_000);
        let mut d = DeviceStates { generation: 3, ..Default::default() };
        d.docs.insert("a".into(), DocState { state: vec![], seen_version: 2 });
        cache.put("dev", d.clone());
        assert!(cache.take("dev", 4).is_none(), "another process wrote generation 4");
        assert!(cache.take("dev", 3).is_none(), "a stale copy is dropped, not kept");
        cache.put("dev", d);
        assert_eq!(cache.take("dev", 3).map(|d| d.docs.len()), Some(1));
        assert_eq!(cache.usage(), (0, 0), "taken out while a request works on it");
    }

    #[test]
    fn offers_are_keyed_by_heads_in_any_order_and_bounded_by_bytes() {
        let h = |b: u8| automerge::ChangeHash([b; 32]);
        let offer = |n: usize| Offer { msg: Some(vec![7; n]), delivered: true };
        let cache = OfferCache::new(3_000);
        cache.put(OfferKey::new("a", &[h(1), h(2)], &[h(0)]), offer(1_000));
        assert_eq!(cache.get(&OfferKey::new("a", &[h(2), h(1)], &[h(0)])), Some(offer(1_000)));
        assert_eq!(cache.get(&OfferKey::new("a", &[h(1), h(2)], &[])), None, "other shared heads: another offer");
        assert_eq!(cache.get(&OfferKey::new("b", &[h(1), h(2)], &[h(0)])), None);
        cache.put(OfferKey::new("b", &[h(3)], &[]), offer(1_000));
        cache.put(OfferKey::new("c", &[h(4)], &[]), offer(1_000)); // over 3,000: "a" goes
        assert_eq!(cache.get(&OfferKey::new("a", &[h(1), h(2)], &[h(0)])), None);
        assert!(cache.get(&OfferKey::new("c", &[h(4)], &[])).is_some());
        cache.put(OfferKey::new("d", &[h(5)], &[]), offer(MAX_OFFER_BYTES + 1));
        assert_eq!(cache.get(&OfferKey::new("d", &[h(5)], &[])), None, "a whole document's offer is not kept");
    }
}
