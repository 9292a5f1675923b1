// The manifest digest (docs/sync-protocol.md, `record_schema::wire`):
//   heads_digest = SHA-256(h1 ‖ … ‖ hn)[..8]                  -- shared heads, sorted bytewise
//   element      = SHA-256(u64_le(len(id)) ‖ id ‖ heads_digest)[..16]
//   manifest     = XOR of every element (16 zero bytes for none)
// `len(id)` is the id's UTF-8 byte length as a u64 little-endian: leaving it out makes every idle
// sync cost a `need_manifest` round.

export const HEADS_DIGEST_LEN = 8
export const MANIFEST_DIGEST_LEN = 16

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as BufferSource))
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** First 8 bytes of SHA-256 over the heads (hex change hashes), sorted bytewise. */
export async function headsDigest(heads: readonly string[]): Promise<Uint8Array> {
  // Lower-case hex of equal length sorts as its bytes do.
  const sorted = [...heads].map((h) => h.toLowerCase()).sort()
  const joined = new Uint8Array(32 * sorted.length)
  sorted.forEach((h, i) => joined.set(hexToBytes(h), 32 * i))
  return (await sha256(joined)).slice(0, HEADS_DIGEST_LEN)
}

/** One document's share of the manifest digest. */
export async function manifestElement(id: string, headsDigest: Uint8Array): Promise<Uint8Array> {
  const idBytes = new TextEncoder().encode(id)
  const input = new Uint8Array(8 + idBytes.length + headsDigest.length)
  new DataView(input.buffer).setBigUint64(0, BigInt(idBytes.length), true)
  input.set(idBytes, 8)
  input.set(headsDigest, 8 + idBytes.length)
  return (await sha256(input)).slice(0, MANIFEST_DIGEST_LEN)
}

export interface ManifestEntry {
  id: string
  /** `headsDigest` of the document's shared heads. */
  heads: Uint8Array
}

/** The XOR of every entry's element. */
export async function manifestDigest(entries: readonly ManifestEntry[]): Promise<Uint8Array> {
  const digest = new Uint8Array(MANIFEST_DIGEST_LEN)
  const elements = await Promise.all(entries.map((e) => manifestElement(e.id, e.heads)))
  for (const el of elements) for (let i = 0; i < MANIFEST_DIGEST_LEN; i++) digest[i] ^= el[i]
  return digest
}
