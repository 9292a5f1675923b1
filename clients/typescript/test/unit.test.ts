// What needs no server: the manifest formula (docs/sync-protocol.md's worked example), decimals, the
// builders against the record schema (schema.json, generated from record-schema), plain reads, the
// one-request edit message, the image header reader.

import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as A from '@automerge/automerge'

import {
  type FieldShape,
  KINDS,
  type RecordDoc,
  type SyncRequest,
  type SyncResponse,
  SyncDriver,
  bytesToHex,
  checkRecord,
  dayLog,
  expense,
  headsDigest,
  hexToBytes,
  imageInfo,
  labourSheet,
  manifestDigest,
  manifestElement,
  money,
  observation,
  photoRef,
  prepareFirstOffer,
  prepareState,
  progressReport,
  quantity,
  rate,
  schema,
  toPlain,
  voidMark,
  wageAdvance,
} from '../src/index.js'

const header = { projectId: 'P1', siteId: 'S1', timeZone: 'Asia/Shanghai', author: 'li' }
const photo = (n: number) =>
  photoRef({
    sha256: n.toString(16).padStart(2, '0').repeat(32),
    byteSize: 1000,
    width: 640,
    height: 480,
    mime: 'image/jpeg',
    capturedAt: 1_700_000_000_000,
    latitude: 31.2,
    longitude: 121.5,
    accuracyM: 5,
    thumbnailSha256: (n + 1).toString(16).padStart(2, '0').repeat(32),
  })

/** One record of each kind with every optional field the builders offer filled. */
function fullRecords(): RecordDoc[] {
  const records: RecordDoc[] = [
    labourSheet({
        ...header,
        workDate: '2026-11-20',
        currency: 'CNY',
        note: 'windy',
        lines: [
          {
            trade: '木工',
            crew: '张班',
            headcount: 2,
            hours: '9.5',
            rate: '365',
            rateUnit: 'day',
            hoursPerDay: '10',
            costCode: '03-100',
            activity: 'A1',
            note: 'overtime',
            workers: [{ name: '王五', idNumber: '110101199001011234', workerId: 'W1' }],
          },
          { trade: '钢筋工', headcount: 3, days: 1, rate: 360, costCode: '03-200' },
        ],
      }),
    expense({
      ...header,
      date: '2026-11-20',
      amount: '1280.5',
      currency: 'CNY',
      category: 'materials',
      vendor: '宝钢',
      costCode: '03-100',
      note: 'rebar',
      receipts: [photo(1)],
    }),
    progressReport({
      ...header,
      date: '2026-11-20',
      activity: 'A1',
      quantity: { installed: '12.5', unit: 'm3' },
      caption: 'slab',
      photos: [photo(3)],
    }),
    progressReport({ ...header, date: '2026-11-20', activity: 'A1', percent: 40 }),
    wageAdvance({
      ...header,
      date: '2026-11-20',
      worker: { name: '王五', idNumber: 'X1', workerId: 'W1' },
      crew: '张班',
      amount: 500,
      currency: 'CNY',
      reason: 'rent',
      note: 'cash',
      slips: [photo(5)],
    }),
    observation({
      ...header,
      date: '2026-11-20',
      category: 'safety',
      severity: 'high',
      title: 'no guard rail',
      description: 'east stair',
      place: '3F',
      gps: { latitude: 31.2, longitude: 121.5, accuracyM: 8 },
      activity: 'A1',
      photos: [photo(7)],
    }),
    dayLog({
      ...header,
      date: '2026-11-20',
      weatherAm: 'sunny',
      weatherPm: 'rain',
      tempLowC: '-3.5',
      tempHighC: 6,
      notes: 'pour',
      visitors: [{ name: '赵', organisation: '监理', purpose: 'inspection' }],
      delays: [{ cause: 'weather', hours: '1.5', description: 'rain' }],
    }),
  ]
  // Voided, so the `void` map is written too (by `voidMark`, as an app voids a record).
  return records.map((r) => ({ ...r, void: voidMark('typed twice', 'li') }))
}

test('the manifest digest is the documented formula, byte for byte (docs/sync-protocol.md)', async () => {
  const doc1 = '0193a5b2-7c4e-7d21-9f3a-2b6c8d0e1f47'
  const head1 = bytesToHex(Uint8Array.from({ length: 32 }, (_, i) => i))
  const d1 = await headsDigest([head1])
  assert.equal(bytesToHex(d1), '630dcd2966c43366')
  assert.equal(bytesToHex(await manifestElement(doc1, d1)), '0a167842af2eb23454e6dbe96b41ddde')
  const doc2 = `approval:${doc1}`
  const d2 = await headsDigest(['bb'.repeat(32), 'aa'.repeat(32)])
  assert.equal(bytesToHex(d2), 'e2d80f78d7902755')
  assert.equal(bytesToHex(await manifestElement(doc2, d2)), '82cf91a5d3b08b49a53225b21f0b88fc')
  const manifest = await manifestDigest([
    { id: doc1, heads: d1 },
    { id: doc2, heads: d2 },
  ])
  assert.equal(bytesToHex(manifest), '88d9e9e77c9e397df1d4fe5b744a5522')
  assert.equal(bytesToHex(await manifestDigest([])), '00'.repeat(16))
  // Without the id-length prefix the element differs (the documented pitfall).
  const idBytes = new TextEncoder().encode(doc1)
  const noPrefix = new Uint8Array([...idBytes, ...d1])
  const wrong = new Uint8Array(await crypto.subtle.digest('SHA-256', noPrefix)).slice(0, 16)
  assert.equal(bytesToHex(wrong), '92a102206436d93a9e4c0701d2304724')
  assert.deepEqual(hexToBytes('0a0b'), Uint8Array.from([10, 11]))
})

test('decimals are written in their canonical text, never through floats', () => {
  assert.equal(money('350.5', 'CNY'), '350.50')
  assert.equal(money(350, 'CNY'), '350.00')
  assert.equal(money('1200', 'JPY'), '1200')
  assert.throws(() => money('1.005', 'CNY'), /2 decimals/)
  assert.throws(() => money(0.1 + 0.2, 'CNY'), /2 decimals/)
  assert.throws(() => money('1e5', 'CNY'), /not a decimal/)
  assert.equal(rate('45.6250', 'CNY'), '45.625')
  assert.equal(rate('350', 'CNY'), '350.00')
  assert.equal(rate('45.5', 'JPY'), '45.5')
  assert.equal(quantity('8.00'), '8')
  assert.equal(quantity('007.50'), '7.5')
  assert.equal(quantity('-0.0'), '0')
  assert.equal(quantity('-3.5'), '-3.5')
})

/** Every path (keyed ids and list indexes as `*`) a value holds, with what stands there. */
function paths(value: unknown, at = ''): string[] {
  if (value === null || typeof value !== 'object' || value instanceof Date) return [at]
  const out: string[] = []
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
  for (const [k, v] of entries) out.push(at, ...paths(v, at ? `${at}/${k}` : k))
  return out.filter((p) => p !== '')
}

/** Every path the schema defines for `shape`, keyed ids and list indexes as `*`. */
function schemaPaths(shape: FieldShape, at = ''): string[] {
  const join = (k: string) => (at ? `${at}/${k}` : k)
  switch (shape.type) {
    case 'map':
      return Object.entries(shape.fields).flatMap(([k, f]) => [join(k), ...schemaPaths(f, join(k))])
    case 'keyed':
      return schemaPaths(shape.values, join('*'))
    case 'list':
      return schemaPaths(shape.items, join('*'))
    default:
      return []
  }
}

test('every builder writes only schema keys with the schema types, every required field, and covers the schema', () => {
  assert.deepEqual([...KINDS].sort(), [
    'day_log',
    'expense',
    'labour_sheet',
    'observation',
    'progress_report',
    'wage_advance',
  ])
  const records = fullRecords()
  const written = new Map<string, Set<string>>()
  for (const r of records) {
    assert.deepEqual(checkRecord(r), [], `${r.kind} fits the schema`)
    assert.equal(r.schema_version, schema.kinds[r.kind].schema_version)
    const generic = (p: string) =>
      p
        .split('/')
        .map((s, i, all) => {
          const parent = all.slice(0, i).join('/')
          const keyedParents = ['lines', 'receipts', 'photos', 'slips', 'visitors', 'delays']
          return keyedParents.includes(parent) || /workers$/.test(parent) ? '*' : s
        })
        .join('/')
    const set = written.get(r.kind) ?? new Set<string>()
    for (const p of paths(r)) set.add(generic(p))
    written.set(r.kind, set)
  }
  for (const kind of KINDS) {
    const defined = schemaPaths(schema.kinds[kind].root)
    const got = written.get(kind) ?? new Set()
    const missing = defined.filter((p) => !got.has(p))
    assert.deepEqual(missing, [], `${kind}: schema fields no builder writes`)
  }
  // The checker itself refuses what does not fit.
  const sheet = fullRecords()[0] as unknown as Record<string, unknown>
  assert.match(checkRecord({ ...sheet, colour: 'red' }).join(), /colour: not part/)
  assert.match(checkRecord({ ...sheet, work_date: undefined }).join(), /work_date: is required/)
  assert.match(checkRecord({ ...sheet, note: 5 }).join(), /note: expected text/)
  const line = Object.values(sheet.lines as object)[0] as Record<string, unknown>
  const lines = { x: { ...line, headcount: 2.5 } }
  assert.match(checkRecord({ ...sheet, lines }).join(), /lines\/x\/headcount: expected an integer/)
  const p = progressReport({ ...header, date: '2026-11-20', activity: 'A1', quantity: { installed: 1, unit: 'm' } })
  assert.match(checkRecord({ ...p, unit: undefined }).join(), /unit: is required/)
})

test('a document made the ordinary way reads back as the builder wrote it; Rust-style scalars read as plain', () => {
  for (const r of fullRecords()) {
    const doc = A.from(r as unknown as Record<string, unknown>)
    assert.deepEqual(toPlain(doc), toPlain(r), r.kind)
    assert.equal((doc as unknown as { kind: unknown }).kind, r.kind, 'JS-written strings read as strings')
  }
  // What a Rust writer stores (scalar strings, ints, a counter) comes back as objects in JS.
  // (Written with A.change: A.from stores an `A.Int` wrapper as a map `{value: 3}`, another catch.)
  const rustLike = A.change(A.init<Record<string, unknown>>(), (d) => {
    d.kind = new A.ImmutableString('labour_sheet')
    d.headcount = new A.Int(3)
    d.n = new A.Counter(2)
    d.when = new Date(5)
  })
  assert.notEqual(rustLike.kind as unknown, 'labour_sheet', 'the catch: a scalar string is an ImmutableString')
  assert.deepEqual(toPlain(rustLike), { kind: 'labour_sheet', headcount: 3, n: 2, when: new Date(5) })
})

test('an edit of a document both sides share goes with its changes in the first message', () => {
  let ours = A.from({ amount: '1.00', note: 'x' })
  let theirs = A.init<{ amount: string; note: string }>()
  let [s1, s2] = [A.initSyncState(), A.initSyncState()]
  for (let i = 0; i < 10; i++) {
    let m1: Uint8Array | null
    let m2: Uint8Array | null
    ;[s1, m1] = A.generateSyncMessage(ours, s1)
    if (m1) [theirs, s2] = A.receiveSyncMessage(theirs, s2, m1)
    ;[s2, m2] = A.generateSyncMessage(theirs, s2)
    if (m2) [ours, s1] = A.receiveSyncMessage(ours, s1, m2)
    if (!m1 && !m2) break
  }
  const persisted = A.decodeSyncState(A.encodeSyncState(s1))
  ours = A.change(ours, (d) => {
    d.amount = '2.00'
  })
  const [, plain] = A.generateSyncMessage(ours, persisted)
  assert.equal(A.decodeSyncMessage(plain as Uint8Array).changes.length, 0, 'without it: a question first')
  const [, prepared] = A.generateSyncMessage(ours, prepareState(persisted))
  const decoded = A.decodeSyncMessage(prepared as Uint8Array)
  assert.equal(decoded.changes.length, 1, 'with it: the change right away')
  ;[theirs] = A.receiveSyncMessage(theirs, A.decodeSyncState(A.encodeSyncState(s2)), prepared as Uint8Array)
  assert.equal(theirs.amount, '2.00')
})

test('the sync driver keeps quiet documents quiet and sends reset only from an empty store', async () => {
  const doc = A.from({ a: 1 })
  const fresh = new SyncDriver(new Map())
  fresh.offer('d', doc)
  const first = await fresh.request(() => true)
  assert.ok(typeof first === 'object' && first.send.reset === true && first.send.docs.length === 1)
  // A state whose shared heads are the document's: nothing to say.
  const state = { ...A.initSyncState(), sharedHeads: A.getHeads(doc) } as A.SyncState
  const quiet = new SyncDriver(new Map([['d', A.encodeSyncState(state)]]))
  quiet.offer('d', doc)
  const idle = await quiet.request(() => true)
  assert.ok(typeof idle === 'object' && idle.send.reset === undefined && idle.send.docs.length === 0)
  assert.equal(idle.send.manifest.length, 16)
  quiet.receive({ v: 1, docs: [], errors: [], need_manifest: true })
  assert.ok(!quiet.settled())
  const withEntries = await quiet.request(() => true)
  assert.ok(typeof withEntries === 'object' && withEntries.send.entries?.length === 1)
})

/**
 * A server holding documents and one device's states, answering with Automerge as the real one does
 * (server/src/sync): its messages prepared as the client's, and a message that carries changes and
 * asks for none counted as delivered at once (`wire::assume_delivered`).
 */
class SimServer {
  docs = new Map<string, A.Doc<any>>()
  states = new Map<string, A.SyncState>()

  private send(id: string, state: A.SyncState): Uint8Array | null {
    const doc = this.docs.get(id) as A.Doc<any>
    const [next, msg] = A.generateSyncMessage(doc, state)
    this.states.set(id, next)
    if (!msg) return null
    const m = A.decodeSyncMessage(msg)
    const heads = A.getHeads(doc)
    const same = m.heads.length === heads.length && m.heads.every((h) => heads.includes(h))
    if (m.changes.length > 0 && m.need.length === 0 && same) {
      this.states.set(id, { ...next, sharedHeads: [...heads].sort() } as A.SyncState)
    }
    return msg
  }

  answer(request: SyncRequest): SyncResponse {
    const response: SyncResponse = { v: 1, docs: [], errors: [] }
    for (const m of request.docs) {
      const [doc, state] = A.receiveSyncMessage(this.docs.get(m.id) ?? A.init(), this.states.get(m.id) ?? A.initSyncState(), m.msg)
      this.docs.set(m.id, doc)
      const reply = this.send(m.id, prepareState(state))
      if (reply) response.docs.push({ id: m.id, msg: reply })
    }
    return response
  }

  /** An unasked offer of `id` (a document the device has not seen at its current version). */
  offer(id: string): { id: string; msg: Uint8Array } {
    const state = prepareFirstOffer(prepareState(this.states.get(id) ?? A.initSyncState()))
    return { id, msg: this.send(id, state) as Uint8Array }
  }
}

/** One sync of `docs` with `server`, to the end, as `FieldledgerClient.sync` runs it; the requests. */
async function syncWith(
  server: SimServer,
  docs: Map<string, A.Doc<any>>,
  persisted: Map<string, Uint8Array>,
  offers: string[] = [],
): Promise<{ requests: SyncRequest[]; states: Map<string, Uint8Array> }> {
  // Between syncs the server keeps only what `encodeSyncState` keeps (the shared heads).
  for (const [id, s] of server.states) server.states.set(id, A.decodeSyncState(A.encodeSyncState(s)))
  const driver = new SyncDriver(persisted)
  const requests: SyncRequest[] = []
  while (!driver.settled()) {
    for (const id of driver.candidates(docs.keys())) driver.offer(id, docs.get(id))
    const next = await driver.request((id) => docs.has(id))
    if (next === 'done') break
    assert.notEqual(next, 'give_up')
    const request = (next as { send: SyncRequest }).send
    requests.push(request)
    const response = server.answer(request)
    if (requests.length === 1) response.docs.push(...offers.map((id) => server.offer(id)))
    for (const m of driver.receive(response).news) {
      const result = driver.apply(docs.get(m.id) ?? A.init(), m)
      assert.ok('doc' in result, JSON.stringify(result))
      docs.set(m.id, result.doc)
    }
  }
  return { requests, states: driver.encodedStates((id) => docs.has(id)) }
}

test('a new document goes whole and a peer\'s change arrives in one request, without acknowledgement', async () => {
  const server = new SimServer()
  const docs = new Map<string, A.Doc<any>>([['a', A.from({ k: "phone's" })]])
  const first = await syncWith(server, docs, new Map())
  assert.equal(first.requests.length, 1, 'a new document: one request')
  const msg = first.requests[0].docs[0].msg
  assert.equal(msg[0], 0x43, 'the whole document, as a V2 sync message')
  assert.equal(A.decodeSyncMessage(msg).changes.length, 1)
  assert.equal(String(server.docs.get('a')?.k), "phone's")

  // A peer's edit of "a" and a document new to the client, offered unasked.
  server.docs.set('a', A.change(server.docs.get('a') as A.Doc<any>, (d: any) => void (d.k = "peer's")))
  server.docs.set('b', A.from({ k: 'new' }))
  const second = await syncWith(server, docs, first.states, ['a', 'b'])
  assert.equal(second.requests.length, 1, 'no acknowledgement round')
  assert.equal(second.requests[0].docs.length, 0)
  assert.equal(String(docs.get('a')?.k), "peer's")
  assert.equal(String(docs.get('b')?.k), 'new')

  // Both sides agree on what they share: the next sync is one quiet request with the server's digest.
  const idle = await syncWith(server, docs, second.states)
  assert.equal(idle.requests.length, 1)
  assert.equal(idle.requests[0].docs.length, 0)
  const shared = await Promise.all(
    [...server.states].map(async ([id, s]) => ({ id, heads: await headsDigest(s.sharedHeads) })),
  )
  assert.deepEqual(idle.requests[0].manifest, await manifestDigest(shared))
})

test('an answer saying more is followed by another request, even with nothing to say', async () => {
  const driver = new SyncDriver(new Map())
  const first = await driver.request(() => true)
  assert.ok(typeof first === 'object')
  driver.receive({ v: 1, docs: [], errors: [], more: true })
  assert.ok(!driver.settled())
  const next = await driver.request(() => true)
  assert.ok(typeof next === 'object' && next.send.docs.length === 0)
  driver.receive({ v: 1, docs: [], errors: [] })
  assert.ok(driver.settled())
  assert.equal(await driver.request(() => true), 'done')
})

test('image sizes come from the header', () => {
  // SOI, APP0 (length 4), SOF0 with 600 high and 900 wide.
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x02, 0x58, 0x03, 0x84, 3])
  assert.deepEqual(imageInfo(jpeg), { mime: 'image/jpeg', width: 900, height: 600 })
  const png = new Uint8Array(24)
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  new DataView(png.buffer).setUint32(16, 640)
  new DataView(png.buffer).setUint32(20, 480)
  assert.deepEqual(imageInfo(png), { mime: 'image/png', width: 640, height: 480 })
  assert.equal(imageInfo(new TextEncoder().encode('not an image')), undefined)
})
