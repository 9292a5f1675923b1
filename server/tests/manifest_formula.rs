//! The worked manifest example in docs/sync-protocol.md is what `record_schema::wire` computes: a client
//! written from the docs must get the phone's digest byte for byte, or every idle sync costs a
//! `need_manifest` round. Each value the example shows is recomputed here and looked up in the doc.

use automerge::ChangeHash;
use record_schema::wire::{ManifestEntry, heads_digest, manifest_digest, manifest_element};

const DOC: &str = include_str!("../../docs/sync-protocol.md");

fn shown(hex: &str) {
    assert!(DOC.contains(hex), "docs/sync-protocol.md's manifest example should show {hex}");
}

#[test]
fn the_documented_example_is_what_the_code_computes() {
    let record = "0193a5b2-7c4e-7d21-9f3a-2b6c8d0e1f47";
    let approval = format!("approval:{record}");
    let first: [u8; 32] = std::array::from_fn(|i| i as u8);
    // Given unsorted: the digest sorts the heads bytewise.
    let two = [ChangeHash([0xbb; 32]), ChangeHash([0xaa; 32])];

    let d1 = heads_digest(&[ChangeHash(first)]);
    let d2 = heads_digest(&two);
    shown(&hex::encode(&d1));
    shown(&hex::encode(&d2));

    // The hashed input: the id's length as u64 little-endian, the id, the heads digest.
    let input = |id: &str, d: &[u8]| [&(id.len() as u64).to_le_bytes()[..], id.as_bytes(), d].concat();
    shown(&hex::encode(input(record, &d1)));
    shown(&hex::encode(input(&approval, &d2)));

    let (e1, e2) = (manifest_element(record, &d1), manifest_element(&approval, &d2));
    shown(&hex::encode(e1));
    shown(&hex::encode(e2));
    let entries =
        [ManifestEntry { id: record.to_string(), heads: d1 }, ManifestEntry { id: approval.clone(), heads: d2 }];
    let digest = manifest_digest(&entries);
    shown(&hex::encode(digest));
    assert_eq!(manifest_digest(&[]), [0u8; 16], "no documents: 16 zero bytes");
    let xor: Vec<u8> = e1.iter().zip(&e2).map(|(a, b)| a ^ b).collect();
    assert_eq!(digest.to_vec(), xor, "the digest is the XOR of the elements");
}
