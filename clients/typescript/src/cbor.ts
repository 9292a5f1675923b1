// The sync body's CBOR (docs/sync-protocol.md, record-schema/src/wire.rs): maps with text keys,
// byte strings for `manifest`, `heads` and `msg`, integers for `v`. cbor-x with records and typed
// array tags off writes exactly that (and smallest map headers, so an idle sync stays tiny).

import { Encoder } from 'cbor-x'

const codec = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
})

export function encodeCbor(value: unknown): Uint8Array {
  return codec.encode(value)
}

export function decodeCbor(bytes: Uint8Array): unknown {
  return codec.decode(bytes)
}
