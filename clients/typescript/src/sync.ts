// The client side of a sync (docs/sync-protocol.md), without I/O: the same rules as Rust's
// `record_schema::sync_client::SyncDriver`, which the phone, the simulated phones and the load
// generator follow. One `SyncDriver` per sync holds the documents' sync states, the refused ones,
// the manifest request and the round count; the caller does the HTTP (`FieldledgerClient.sync`).

import * as A from '@automerge/automerge'

import { type ManifestEntry, headsDigest, manifestDigest } from './manifest.js'

export const PROTOCOL_VERSION = 1
/** Requests in one sync before giving up on it settling (the next sync carries on). */
export const MAX_ROUNDS = 30
/** The `code` of a document this client refused itself (a message that does not merge). */
export const REFUSED_BY_CLIENT = 'refused_by_client'

export interface DocMessage {
  id: string
  msg: Uint8Array
}

export interface DocError {
  id: string
  /** bad_message, invalid (see `field`), too_large, forbidden, id_taken, server_owned, duplicate, busy, internal, or refused_by_client */
  code: string
  message: string
  field?: string
}

export interface SyncRequest {
  v: number
  reset?: true
  manifest: Uint8Array
  entries?: ManifestEntry[]
  docs: DocMessage[]
}

export interface SyncResponse {
  v: number
  docs: DocMessage[]
  errors: DocError[]
  need_manifest?: boolean
  /** More documents to offer than fit one answer: send another request (empty if need be). */
  more?: boolean
}

export type Next = { send: SyncRequest } | 'done' | 'give_up'

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const sb = [...b].sort()
  return [...a].sort().every((h, i) => h === sb[i])
}

/** A sync state as JS Automerge 3 holds it, with the fields its type leaves out or misspells. */
type StateFields = A.SyncState & {
  theirNeed?: string[] | null
  theirHave?: { lastSync: string[]; bloom: Uint8Array }[] | null
  theirCapabilities?: string[]
}

/**
 * Rust's `wire::prepare_state` for JS Automerge: for a document both sides share heads of, assume
 * the server still holds them (it said so), so the first message carries the changes made since
 * instead of only asking: a one-field edit is one request. If the server lacks them after all, it
 * answers with what it needs and the changes follow. V1 messages only (changes one by one): with V2
 * allowed, Automerge sends the whole document when the changes are over a third of its history.
 * The message stays a standard sync message.
 */
export function prepareState(state: A.SyncState): A.SyncState {
  const s = state as StateFields
  if (s.sharedHeads.length === 0) return state
  const prepared: StateFields = { ...s, theirCapabilities: ['message-v1', 'sync-reset'] }
  if (s.theirHeads == null && (s.theirHave == null || s.theirHave.length === 0)) {
    prepared.theirHave = [{ lastSync: [...s.sharedHeads], bloom: new Uint8Array(0) }]
    prepared.theirNeed = []
  }
  return prepared as A.SyncState
}

/**
 * Rust's `wire::prepare_first_offer`: a document the server has never shared with this client (no
 * shared heads, nothing heard from the server about it in this sync) goes whole at once, as the
 * compact V2 message Automerge sends a peer that holds nothing, instead of its heads alone, the
 * server's request and the changes a round later. So a new record reaches the server in one request.
 * (JS Automerge 3.5 takes `theirCapabilities` from the state object: `message-v2` allows it.)
 */
export function prepareFirstOffer(state: A.SyncState): A.SyncState {
  const s = state as StateFields
  if (s.sharedHeads.length > 0 || s.theirHeads != null) return state
  return {
    ...s,
    theirHeads: [],
    theirHave: [{ lastSync: [], bloom: new Uint8Array(0) }],
    theirNeed: [],
    theirCapabilities: ['message-v2', 'sync-reset'],
  } as StateFields as A.SyncState
}

/**
 * Nothing to say about a document at `heads` (Rust's `sync_client::quiet`): the shared heads are its
 * heads, and the server either said nothing about it in this sync or said it is at those heads and
 * needs nothing. The second case is a message of the server's that brought the document to the
 * server's heads: the server already counts it as delivered, so no acknowledgement goes back.
 */
export function quiet(state: A.SyncState, heads: readonly string[]): boolean {
  const s = state as StateFields
  return (
    sameHeads(s.sharedHeads, heads) &&
    (s.theirHeads == null || sameHeads(s.theirHeads, heads)) &&
    (s.theirNeed == null || s.theirNeed.length === 0)
  )
}

export class SyncDriver {
  private states: Map<string, A.SyncState>
  private refusedIds = new Set<string>()
  private reset: boolean
  private entriesDue = false
  private moreDue = false
  private entriesSent = false
  private rounds = 0
  private outgoing: DocMessage[] = []
  private lastSent = 0
  private isSettled = false

  /** Starts a sync from the states persisted by the last one (`A.encodeSyncState` bytes). */
  constructor(persisted: Map<string, Uint8Array>) {
    this.states = new Map()
    for (const [id, bytes] of persisted) this.states.set(id, A.decodeSyncState(bytes))
    this.reset = persisted.size === 0
  }

  /** The documents to offer: every stored one, plus any the server offered, minus the refused. */
  candidates(stored: Iterable<string>): string[] {
    const ids = new Set<string>()
    for (const id of stored) if (!this.refusedIds.has(id)) ids.add(id)
    for (const id of this.states.keys()) if (!this.refusedIds.has(id)) ids.add(id)
    return [...ids].sort()
  }

  /** Adds `id`'s message to the next request if it has something to say (`doc` undefined: not stored). */
  offer(id: string, doc: A.Doc<unknown> | undefined): void {
    if (this.refusedIds.has(id)) return
    let state = this.stateOf(id)
    let msg: Uint8Array | null
    if (doc) {
      // Quiet: both sides agree on exactly these heads. Either the server said nothing in this sync
      // (it offers its own news unasked: an idle sync stays one tiny round), or its message just
      // brought the document to its heads and asked for nothing, which it already counts as
      // delivered: no acknowledgement round (docs/sync-protocol.md, "One request").
      if (quiet(state, A.getHeads(doc))) return
      // A document the server has never shared with this client goes whole, at once.
      ;[state, msg] = A.generateSyncMessage(doc, prepareFirstOffer(prepareState(state)))
    } else {
      ;[state, msg] = A.generateSyncMessage(A.init(), state)
    }
    this.states.set(id, state)
    if (msg) this.outgoing.push({ id, msg })
  }

  /**
   * Finishes the request: the manifest digest over the stored documents, the entries if the server
   * asked, `reset` on the first request of a store with no state. The first request always goes;
   * later ones only with something to say.
   */
  async request(isStored: (id: string) => boolean): Promise<Next> {
    const docs = this.outgoing
    this.outgoing = []
    if (this.rounds > 0 && docs.length === 0 && !this.entriesDue && !this.moreDue) return 'done'
    if (this.rounds >= MAX_ROUNDS) return 'give_up'
    this.rounds += 1
    this.lastSent = docs.length
    const withEntries = this.entriesDue
    this.entriesDue = false
    this.entriesSent ||= withEntries
    const entries = await this.manifest(isStored)
    const request: SyncRequest = { v: PROTOCOL_VERSION, manifest: await manifestDigest(entries), docs }
    if (this.reset) request.reset = true
    this.reset = false
    if (withEntries) request.entries = entries
    return { send: request }
  }

  private async manifest(isStored: (id: string) => boolean): Promise<ManifestEntry[]> {
    const shared = [...this.states].filter(([id, s]) => isStored(id) && s.sharedHeads.length > 0)
    return Promise.all(shared.map(async ([id, s]) => ({ id, heads: await headsDigest(s.sharedHeads) })))
  }

  /** Takes the response: forgets refused documents, notes a manifest request, decides whether it settles. */
  receive(response: SyncResponse): { news: DocMessage[]; errors: DocError[]; needManifest: boolean } {
    const errors = response.errors ?? []
    for (const e of errors) this.refuse(e.id)
    const needManifest = response.need_manifest === true
    this.entriesDue = needManifest && !this.entriesSent
    this.moreDue = response.more === true
    const news = (response.docs ?? []).filter((m) => !this.refusedIds.has(m.id))
    this.isSettled = this.lastSent === 0 && news.length === 0 && !this.entriesDue && !this.moreDue
    return { news, errors, needManifest }
  }

  /** Merges one message into `doc` (the stored document, or `A.init()`); the new document, or the error. */
  apply<T>(doc: A.Doc<T>, m: DocMessage): { doc: A.Doc<T> } | { error: DocError } {
    try {
      const [merged, state] = A.receiveSyncMessage(doc, this.stateOf(m.id), new Uint8Array(m.msg))
      this.states.set(m.id, state)
      this.merged(m.id)
      return { doc: merged }
    } catch (e) {
      this.refuse(m.id)
      return { error: { id: m.id, code: REFUSED_BY_CLIENT, message: String(e) } }
    }
  }

  /** The server still needs changes this client believes sent: forget them so they go again. */
  private merged(id: string): void {
    const state = this.states.get(id) as StateFields | undefined
    if (state && state.theirNeed && state.theirNeed.length > 0) {
      this.states.set(id, { ...state, sentHashes: {} } as unknown as A.SyncState)
    }
  }

  /** `id` starts afresh next sync and is not offered again in this one. */
  refuse(id: string): void {
    this.states.delete(id)
    this.refusedIds.add(id)
  }

  private stateOf(id: string): A.SyncState {
    let s = this.states.get(id)
    if (!s) {
      s = A.initSyncState()
      this.states.set(id, s)
    }
    return s
  }

  settled(): boolean {
    return this.isSettled
  }

  round(): number {
    return this.rounds
  }

  refused(): ReadonlySet<string> {
    return this.refusedIds
  }

  /** The states to persist (encoded: only the shared heads are kept), for stored documents. */
  encodedStates(isStored: (id: string) => boolean): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (const [id, s] of this.states) if (isStored(id)) out.set(id, A.encodeSyncState(s))
    return out
  }
}
