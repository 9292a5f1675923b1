// Where a client keeps its documents and, between syncs, each document's sync state. Only what
// `A.encodeSyncState` keeps is persisted (the heads both sides last agreed on): a state carried on
// whole would make the next edit re-send more than it needs (docs/sync-protocol.md).

import * as A from '@automerge/automerge'

export interface DocumentStore {
  /** Ids of every stored document. */
  ids(): Promise<string[]>
  get(id: string): Promise<A.Doc<unknown> | undefined>
  put(id: string, doc: A.Doc<unknown>): Promise<void>
  /** Forgets the document and its sync state. */
  delete(id: string): Promise<void>
  /** The sync states persisted by the last sync (`A.encodeSyncState`), by document id. */
  syncStates(): Promise<Map<string, Uint8Array>>
  /** Replaces the persisted sync states (called after every round). */
  putSyncStates(states: Map<string, Uint8Array>): Promise<void>
}

/** The default store: everything in memory (lost with the process). */
export class MemoryStore implements DocumentStore {
  readonly docs = new Map<string, A.Doc<unknown>>()
  states = new Map<string, Uint8Array>()

  async ids(): Promise<string[]> {
    return [...this.docs.keys()]
  }

  async get(id: string): Promise<A.Doc<unknown> | undefined> {
    return this.docs.get(id)
  }

  async put(id: string, doc: A.Doc<unknown>): Promise<void> {
    this.docs.set(id, doc)
  }

  async delete(id: string): Promise<void> {
    this.docs.delete(id)
    this.states.delete(id)
  }

  async syncStates(): Promise<Map<string, Uint8Array>> {
    return new Map(this.states)
  }

  async putSyncStates(states: Map<string, Uint8Array>): Promise<void> {
    this.states = new Map(states)
  }

  /** Everything as bytes (`A.save` per document, encoded sync states), e.g. to write to disk. */
  snapshot(): { docs: Record<string, Uint8Array>; states: Record<string, Uint8Array> } {
    const docs: Record<string, Uint8Array> = {}
    for (const [id, d] of this.docs) docs[id] = A.save(d)
    return { docs, states: Object.fromEntries(this.states) }
  }

  /** A store from a `snapshot`. */
  static restore(s: { docs: Record<string, Uint8Array>; states: Record<string, Uint8Array> }): MemoryStore {
    const store = new MemoryStore()
    for (const [id, bytes] of Object.entries(s.docs)) store.docs.set(id, A.load(bytes))
    store.states = new Map(Object.entries(s.states))
    return store
  }
}
