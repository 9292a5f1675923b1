// The record schema as data (`schema.json`, generated from record-schema by
// `record_schema::describe::schema_json`; a Rust test fails when the committed copy drifts) and
// one check of a record's content against it: what this package's builders write is checked by
// its tests, and `FieldledgerClient.create` checks what it is given before storing it.

import * as A from '@automerge/automerge'

import schemaJson from './schema.json' with { type: 'json' }
import type { Kind } from './records.js'

export type FieldShape =
  | { type: 'text'; max_bytes: number; required?: boolean; required_when?: { field: string; equals: string } }
  | { type: 'int' | 'timestamp' | 'number' | 'amount' | 'rate' | 'quantity'; required?: boolean; required_when?: { field: string; equals: string } }
  | { type: 'map'; fields: Record<string, FieldShape>; required?: boolean; required_when?: { field: string; equals: string } }
  | { type: 'keyed'; max_entries: number; max_key_bytes: number; values: FieldShape; required?: boolean; required_when?: { field: string; equals: string } }
  | { type: 'list'; max_items: number; items: FieldShape; required?: boolean; required_when?: { field: string; equals: string } }

export interface KindSchema {
  schema_version: number
  root: Extract<FieldShape, { type: 'map' }>
}

export const schema = schemaJson as unknown as { kinds: Record<Kind, KindSchema>; types: Record<string, string> }

export const KINDS = Object.keys(schema.kinds) as Kind[]

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/
const bytes = (s: string) => new TextEncoder().encode(s).length

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (A.isImmutableString(v)) return v.toString()
  return undefined
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (v instanceof A.Int || v instanceof A.Uint || v instanceof A.Float64) return v.value
  return undefined
}

/** Problems of `value` against `shape` at `path` (empty: it fits). */
function check(value: unknown, shape: FieldShape, path: string, out: string[]): void {
  const where = path || '(root)'
  switch (shape.type) {
    case 'text': {
      const s = asString(value)
      if (s === undefined) out.push(`${where}: expected text, found ${typeof value}`)
      else if (bytes(s) > shape.max_bytes) out.push(`${where}: ${bytes(s)} bytes, at most ${shape.max_bytes}`)
      return
    }
    case 'int': {
      const n = asNumber(value)
      if (n === undefined || !Number.isInteger(n)) out.push(`${where}: expected an integer, found ${String(value)}`)
      return
    }
    case 'number':
      if (asNumber(value) === undefined) out.push(`${where}: expected a number, found ${typeof value}`)
      return
    case 'timestamp':
      if (!(value instanceof Date) && !Number.isInteger(asNumber(value))) out.push(`${where}: expected a Date`)
      return
    case 'amount':
    case 'rate':
    case 'quantity': {
      const s = asString(value)
      if (s === undefined || !DECIMAL.test(s)) out.push(`${where}: expected decimal text (${shape.type}), found ${String(value)}`)
      return
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push(`${where}: expected a map`)
        return
      }
      const obj = value as Record<string, unknown>
      for (const [key, v] of Object.entries(obj)) {
        const field = shape.fields[key]
        const at = path ? `${path}/${key}` : key
        if (!field) out.push(`${at}: not part of the record's schema`)
        else if (v !== null) check(v, field, at, out)
      }
      for (const [key, field] of Object.entries(shape.fields)) {
        const needed =
          field.required === true ||
          (field.required_when !== undefined && asString(obj[field.required_when.field]) === field.required_when.equals)
        if (needed && (obj[key] === undefined || obj[key] === null)) out.push(`${path ? `${path}/` : ''}${key}: is required`)
      }
      return
    }
    case 'keyed': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        out.push(`${where}: expected a map from ids`)
        return
      }
      const entries = Object.entries(value as Record<string, unknown>)
      if (entries.length > shape.max_entries) out.push(`${where}: ${entries.length} entries, at most ${shape.max_entries}`)
      for (const [k, v] of entries) {
        if (bytes(k) > shape.max_key_bytes) out.push(`${where}: key of ${bytes(k)} bytes, at most ${shape.max_key_bytes}`)
        check(v, shape.values, `${path}/${k}`, out)
      }
      return
    }
    case 'list': {
      if (!Array.isArray(value)) {
        out.push(`${where}: expected a list`)
        return
      }
      if (value.length > shape.max_items) out.push(`${where}: ${value.length} items, at most ${shape.max_items}`)
      value.forEach((v, i) => check(v, shape.items, `${path}/${i}`, out))
    }
  }
}

/**
 * What in `record` (a builder's output, or a document's content) the schema of its `kind` does not
 * allow: unknown keys, wrong types, missing required fields, text over its bytes. Empty when it fits.
 * (The server also checks the rules: dates, ranges, canonical decimals for the currency.)
 */
export function checkRecord(record: unknown): string[] {
  const kind = asString((record as { kind?: unknown } | null)?.kind) as Kind | undefined
  if (!kind || !(kind in schema.kinds)) return [`kind: ${String(kind)} is not a record kind (${KINDS.join(', ')})`]
  const out: string[] = []
  check(record, schema.kinds[kind].root, '', out)
  return out
}
