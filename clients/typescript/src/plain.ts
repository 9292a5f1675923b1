// Reading documents back as plain JS values. Automerge's JS API hands back what the writer stored:
// a string written by Rust (or the app) is a scalar string, which JS Automerge 3 gives back as an
// `ImmutableString` object (so `doc.kind === 'labour_sheet'` is false); a counter is a `Counter`;
// numbers written with `new A.Int(...)`/`A.Float64` wrappers before they were stored are wrapper
// objects. `toPlain` turns all of these into ordinary strings and numbers.

import * as A from '@automerge/automerge'

/** What `toPlain` gives: JSON-like values, plus `Date` for timestamps and `Uint8Array` for bytes. */
export type Plain = string | number | boolean | null | Date | Uint8Array | Plain[] | { [key: string]: Plain }

/** `value` (a document, any part of one, or a builder's output) as plain JS values. */
export function toPlain(value: unknown): Plain {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  if (A.isImmutableString(value)) return value.toString()
  if (A.isCounter(value)) return (value as A.Counter).value
  if (value instanceof Date || value instanceof Uint8Array) return value
  if (Array.isArray(value)) return value.map(toPlain)
  if (typeof value === 'object') {
    // Int / Uint / Float64 wrappers (what a writer may pass before a value is stored).
    if (value instanceof A.Int || value instanceof A.Uint || value instanceof A.Float64) return value.value
    const out: { [key: string]: Plain } = {}
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v)
    return out
  }
  throw new TypeError(`cannot make ${typeof value} plain`)
}

/** `doc[key]` as a string whether it was stored as text or a scalar string (undefined if neither). */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (A.isImmutableString(value)) return value.toString()
  return undefined
}
