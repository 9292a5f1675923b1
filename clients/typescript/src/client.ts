// A Fieldledger client: documents in a store, the batched sync, photo uploads, plain reads.

import * as A from '@automerge/automerge'

import { decodeCbor, encodeCbor } from './cbor.js'
import { imageInfo } from './image.js'
import { type Plain, toPlain } from './plain.js'
import { type PhotoInput, type PhotoRefDoc, photoRef } from './records.js'
import { checkRecord } from './schema.js'
import { type DocumentStore, MemoryStore } from './store.js'
import { type DocError, type DocMessage, type SyncResponse, SyncDriver } from './sync.js'
import { type PhotoUpload, type UploadOptions, sha256Hex, startUpload } from './upload.js'

export const CLIENT_NAME = 'fieldledger-js/0.1.0'

export interface ClientOptions {
  /** The server, e.g. `https://ledger.example.com` (no trailing path). */
  url: string
  /** A device (foreman) token: `Authorization: Bearer <token>` on every request. */
  token: string
  /** Where documents and sync states live; in memory by default. */
  store?: DocumentStore
  /** `fetch` to use (the global one by default). */
  fetch?: typeof globalThis.fetch
}

/** What one sync carried on the wire. */
export interface SyncReport {
  /** Requests made. */
  rounds: number
  /** Bytes of every request body, and of every response body. */
  sent: number
  received: number
  perRound: { request: number; response: number; docsSent: number; docsReceived: number }[]
  /** Documents refused (by the server, or by this client when a message did not merge). */
  errors: DocError[]
  /** The server asked for the full manifest (its digest differed). */
  manifestAsked: boolean
  /** Documents stored or changed by what the server sent. */
  changed: string[]
  /** False when it stopped at the round limit (others editing the same documents all the while). */
  settled: boolean
}

/** An HTTP error answer (401 for a bad token, 413 for a body over the limit...). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`)
    this.name = 'HttpError'
  }
}

/** A record's content that does not fit its kind's schema (see `checkRecord`). */
export class SchemaMismatch extends Error {
  constructor(readonly problems: string[]) {
    super(`the record does not fit its schema: ${problems.join('; ')}`)
    this.name = 'SchemaMismatch'
  }
}

/** What `POST /v1/pair` answers: the handset, its person and one device token per project. */
export interface Paired {
  handset_id: string
  person: { id: string; name: string }
  projects: { project_id: string; name: string; role: string; device_id: string; token: string }[]
}

/**
 * Pairs this device with a pairing code an office user made (web admin, or `POST
 * /v1/pairing-codes`): the code is the credential; the answer holds a device token per project
 * (shown once: keep it, e.g. in the platform's secure storage).
 */
export async function pairDevice(
  url: string,
  code: string,
  deviceName: string,
  fetchFn: typeof globalThis.fetch = globalThis.fetch,
): Promise<Paired> {
  const res = await fetchFn(`${url.replace(/\/$/, '')}/v1/pair`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, device_name: deviceName, app: CLIENT_NAME }),
  })
  const text = await res.text()
  if (res.status !== 201) throw new HttpError(res.status, text)
  return JSON.parse(text) as Paired
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  throw new TypeError('expected a CBOR byte string')
}

function asResponse(v: unknown): SyncResponse {
  const r = (v ?? {}) as { v?: number; docs?: { id: string; msg: unknown }[]; errors?: DocError[]; need_manifest?: boolean; more?: boolean }
  return {
    v: r.v ?? 0,
    docs: (r.docs ?? []).map((m) => ({ id: String(m.id), msg: bytesOf(m.msg) })),
    errors: r.errors ?? [],
    need_manifest: r.need_manifest === true,
    more: r.more === true,
  }
}

export class FieldledgerClient {
  readonly url: string
  readonly token: string
  readonly store: DocumentStore
  private readonly fetchFn: typeof globalThis.fetch

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/$/, '')
    this.token = opts.token
    this.store = opts.store ?? new MemoryStore()
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis)
  }

  /**
   * Stores a new record from a builder's output (`labourSheet(...)`, ...) as a new document, made
   * the ordinary way (`A.from`), after checking it against its kind's schema. Its id is the
   * record's `id`. Synced with the next `sync()`.
   */
  async create<T extends { id: string }>(record: T): Promise<A.Doc<T>> {
    const problems = checkRecord(record)
    if (problems.length > 0) throw new SchemaMismatch(problems)
    if (await this.store.get(record.id)) throw new Error(`a document ${record.id} is already stored`)
    const doc = A.from(record as unknown as Record<string, unknown>) as A.Doc<T>
    await this.store.put(record.id, doc)
    return doc
  }

  /** The stored document `id` (undefined if not stored). */
  async doc<T = Record<string, unknown>>(id: string): Promise<A.Doc<T> | undefined> {
    return (await this.store.get(id)) as A.Doc<T> | undefined
  }

  /** Changes document `id` with `A.change` (the change goes with the next sync, in one request). */
  async change<T = Record<string, unknown>>(id: string, fn: A.ChangeFn<T>): Promise<A.Doc<T>> {
    const doc = (await this.store.get(id)) as A.Doc<T> | undefined
    if (!doc) throw new Error(`no document ${id} is stored`)
    const changed = A.change(doc, fn)
    await this.store.put(id, changed as A.Doc<unknown>)
    return changed
  }

  /**
   * Forgets document `id` here (a document the server refuses is offered again on every sync until
   * it is fixed or discarded). The server keeps whatever it accepted of it.
   */
  async discard(id: string): Promise<void> {
    await this.store.delete(id)
  }

  /** Document `id` as plain JS values (strings, numbers, Dates; see `toPlain`). */
  async read(id: string): Promise<Plain | undefined> {
    const doc = await this.store.get(id)
    return doc === undefined ? undefined : toPlain(doc)
  }

  /** The approval document of record `id` (server-owned, read-only), as plain values, once synced. */
  async approval(recordId: string): Promise<Plain | undefined> {
    return this.read(`approval:${recordId}`)
  }

  /** Ids of every stored document (records, reference data, approvals...). */
  async ids(): Promise<string[]> {
    return this.store.ids()
  }

  /** One `POST /v1/sync`: the CBOR request and the raw response bytes. */
  private async post(body: Uint8Array): Promise<Uint8Array> {
    const res = await this.fetchFn(`${this.url}/v1/sync`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${this.token}`,
        'Content-Type': 'application/cbor',
        'Fieldledger-App': CLIENT_NAME,
      },
      body: body as BodyInit,
    })
    const bytes = new Uint8Array(await res.arrayBuffer())
    if (!res.ok) throw new HttpError(res.status, new TextDecoder().decode(bytes))
    return bytes
  }

  /**
   * Syncs every stored document with the server, in rounds of one request each, until neither side
   * has anything to say (docs/sync-protocol.md): documents both sides agree on stay quiet, an edit
   * goes with its changes in the first request, the server's news and new documents (approvals,
   * reference data) come back. A document the server refuses is in `errors`; the rest still land.
   * An HTTP error throws `HttpError` (the rounds before it are kept; run it again).
   */
  async sync(): Promise<SyncReport> {
    const report: SyncReport = {
      rounds: 0,
      sent: 0,
      received: 0,
      perRound: [],
      errors: [],
      manifestAsked: false,
      changed: [],
      settled: false,
    }
    const stored = new Set(await this.store.ids())
    const isStored = (id: string) => stored.has(id)
    const driver = new SyncDriver(await this.store.syncStates())
    const changed = new Set<string>()
    while (!driver.settled()) {
      for (const id of driver.candidates(stored)) driver.offer(id, await this.store.get(id))
      const next = await driver.request(isStored)
      if (next === 'done') break
      if (next === 'give_up') return { ...report, changed: [...changed] }
      const body = encodeCbor(next.send)
      const answer = await this.post(body)
      const incoming = driver.receive(asResponse(decodeCbor(answer)))
      report.rounds += 1
      report.sent += body.length
      report.received += answer.length
      report.perRound.push({
        request: body.length,
        response: answer.length,
        docsSent: next.send.docs.length,
        docsReceived: incoming.news.length,
      })
      report.errors.push(...incoming.errors)
      report.manifestAsked ||= incoming.needManifest
      for (const m of incoming.news) await this.merge(driver, m, stored, changed, report)
      await this.store.putSyncStates(driver.encodedStates(isStored))
    }
    report.settled = true
    report.changed = [...changed]
    return report
  }

  private async merge(
    driver: SyncDriver,
    m: DocMessage,
    stored: Set<string>,
    changed: Set<string>,
    report: SyncReport,
  ): Promise<void> {
    const before = await this.store.get(m.id)
    const result = driver.apply(before ?? A.init(), m)
    if ('error' in result) {
      report.errors.push(result.error)
      return
    }
    const heads = A.getHeads(result.doc)
    // A message that brought nothing stores nothing (an offer answered from an empty document).
    if (!before && heads.length === 0) return
    // The merged document replaces the stored one even when nothing changed: JS Automerge marks
    // the document it merged into as outdated, and changing that one would throw.
    await this.store.put(m.id, result.doc)
    stored.add(m.id)
    if (!before || A.getHeads(before).join() !== heads.join()) changed.add(m.id)
  }

  /**
   * Uploads a photo over tus (resumable); `done` gives its address (`sha256`, the server's
   * `Blob-Sha256`). Interrupt with `abort()`, resume with `uploadUrl: upload.url`.
   */
  upload(bytes: Uint8Array, opts: UploadOptions = {}): PhotoUpload {
    const mime = opts.mime ?? imageInfo(bytes)?.mime ?? 'application/octet-stream'
    return startUpload(this.url, this.token, bytes, mime, opts)
  }

  /**
   * Uploads a photo (as `upload`) and builds its reference for a record: size and pixels from the
   * bytes, the thumbnail's SHA-256 from the thumbnail the server made.
   */
  async uploadPhoto(
    bytes: Uint8Array,
    opts: UploadOptions & Pick<PhotoInput, 'capturedAt' | 'latitude' | 'longitude' | 'accuracyM'> = {},
  ): Promise<PhotoRefDoc> {
    const info = imageInfo(bytes)
    if (!info) throw new Error('not a JPEG or PNG: the server takes only those')
    const { sha256 } = await this.upload(bytes, opts).done
    return this.photoRefFor(bytes, sha256, opts)
  }

  /** The reference of an uploaded photo (`sha256` its address), its thumbnail's hash read from the server. */
  async photoRefFor(
    bytes: Uint8Array,
    sha256: string,
    at: Pick<PhotoInput, 'capturedAt' | 'latitude' | 'longitude' | 'accuracyM'> = {},
  ): Promise<PhotoRefDoc> {
    const info = imageInfo(bytes)
    if (!info) throw new Error('not a JPEG or PNG')
    const res = await this.fetchFn(`${this.url}/v1/blobs/${sha256}/thumbnail`, {
      headers: { Authorization: `Bearer ${this.token}` },
    })
    const thumb = new Uint8Array(await res.arrayBuffer())
    if (!res.ok) throw new HttpError(res.status, new TextDecoder().decode(thumb))
    return photoRef({
      sha256,
      byteSize: bytes.length,
      width: info.width,
      height: info.height,
      mime: info.mime,
      thumbnailSha256: await sha256Hex(thumb),
      ...at,
    })
  }
}
