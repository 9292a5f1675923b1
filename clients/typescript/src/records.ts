// Typed builders for the record kinds a foreman writes (docs/record-documents.md). Each returns the
// document's content as a plain JS object with the schema's keys (snake_case, as stored): strings,
// numbers, Dates, nested objects. Put it into a document with `A.from(...)` (or `client.create`),
// change it later with `A.change` the ordinary way. Decimals are canonical strings ("350.00"); the
// keys and types are checked against the record schema by `checkRecord` (src/schema.ts) and by this
// package's tests, so they cannot drift from record-schema.

import { type Currency, type DecimalInput, FieldError, money, quantity, rate } from './decimal.js'

export type Kind = 'labour_sheet' | 'expense' | 'progress_report' | 'wage_advance' | 'observation' | 'day_log'

/** Every kind's schema version this package writes (record-schema's `RecordKind::schema_version`). */
export const SCHEMA_VERSION = 1

/** What every record starts with. `id` defaults to a new UUID v7, `createdAt` to now. */
export interface HeaderInput {
  id?: string
  projectId: string
  siteId: string
  /** The site's IANA time zone (`Asia/Shanghai`); dates are on its calendar. */
  timeZone: string
  author: string
  createdAt?: Date | number
}

export interface HeaderDoc {
  kind: Kind
  schema_version: number
  id: string
  project_id: string
  site_id: string
  time_zone: string
  author: string
  created_at: Date
  void?: VoidDoc
}

export interface VoidDoc {
  reason: string
  by: string
  at: Date
}

/** A new record id: a UUID v7 (ids sort by creation time, like the app's). */
export function newId(now: number = Date.now()): string {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  let ms = BigInt(now)
  for (let i = 5; i >= 0; i--) {
    b[i] = Number(ms & 0xffn)
    ms >>= 8n
  }
  b[6] = (b[6] & 0x0f) | 0x70
  b[8] = (b[8] & 0x3f) | 0x80
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function date(field: string, value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new FieldError(field, `${JSON.stringify(value)} is not YYYY-MM-DD`)
  return value
}

function required(field: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new FieldError(field, 'is required')
  return value
}

function header(kind: Kind, h: HeaderInput): HeaderDoc {
  const created = h.createdAt === undefined ? new Date() : new Date(h.createdAt)
  return {
    kind,
    schema_version: SCHEMA_VERSION,
    id: h.id ?? newId(created.getTime()),
    project_id: required('project_id', h.projectId),
    site_id: required('site_id', h.siteId),
    time_zone: required('time_zone', h.timeZone),
    author: required('author', h.author),
    created_at: created,
  }
}

/** Copies `value` without its undefined keys (Automerge refuses `undefined`). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** The `void` map that voids a record: `A.change(doc, d => { d.void = voidMark('typed twice', 'li') })`. */
export function voidMark(reason: string, by: string, at: Date | number = Date.now()): VoidDoc {
  return { reason, by, at: new Date(at) }
}

// ---------- photos ----------

export interface PhotoInput {
  /** Lower-case hex SHA-256 of the original (the server's `Blob-Sha256` after upload). */
  sha256: string
  byteSize: number
  width: number
  height: number
  mime: string
  capturedAt?: Date | number
  latitude?: number
  longitude?: number
  accuracyM?: number
  /** SHA-256 of the photo's thumbnail (`uploadPhoto` gives the server's). */
  thumbnailSha256: string
}

export interface PhotoRefDoc {
  sha256: string
  byte_size: number
  width: number
  height: number
  mime: string
  captured_at: Date
  latitude?: number
  longitude?: number
  accuracy_m?: number
  thumbnail_sha256: string
}

const SHA256 = /^[0-9a-f]{64}$/

/** A photo reference as records hold it (in `photos`, `receipts` or `slips`, keyed by `sha256`). */
export function photoRef(p: PhotoInput): PhotoRefDoc {
  if (!SHA256.test(p.sha256)) throw new FieldError('sha256', 'must be 64 lower-case hex digits')
  if (!SHA256.test(p.thumbnailSha256)) throw new FieldError('thumbnail_sha256', 'must be 64 lower-case hex digits')
  if (!(p.width > 0 && p.height > 0)) throw new FieldError('width', 'image has no pixels')
  return defined({
    sha256: p.sha256,
    byte_size: p.byteSize,
    width: p.width,
    height: p.height,
    mime: p.mime,
    captured_at: new Date(p.capturedAt ?? Date.now()),
    latitude: p.latitude,
    longitude: p.longitude,
    accuracy_m: p.latitude === undefined ? undefined : p.accuracyM,
    thumbnail_sha256: p.thumbnailSha256,
  })
}

function photoMap(photos: PhotoRefDoc[] | undefined): Record<string, PhotoRefDoc> | undefined {
  if (!photos || photos.length === 0) return undefined
  return Object.fromEntries(photos.map((p) => [p.sha256, p]))
}

// ---------- labour sheet ----------

export interface WorkerInput {
  name: string
  idNumber?: string
  /** The project roster's id, when picked from the roster. */
  workerId?: string
}

export interface WorkerDoc {
  name: string
  id_number?: string
  worker_id?: string
}

function worker(w: WorkerInput, field: string): WorkerDoc {
  return defined({ name: required(`${field}.name`, w.name), id_number: w.idNumber, worker_id: w.workerId })
}

export type TimeUnit = 'hour' | 'day'

export interface CrewLineInput {
  id?: string
  trade: string
  crew?: string
  headcount: number
  /** Hours per person (give `hours` or `days`). */
  hours?: DecimalInput
  /** 点工 days per person. */
  days?: DecimalInput
  /** Pay per person per `rateUnit`. */
  rate: DecimalInput
  /** What the rate pays for; defaults to the effort's unit (hours at a day rate: how sites pay 点工). */
  rateUnit?: TimeUnit
  /** Hours in a day's pay; defaults to 8 (stored only when not 8). */
  hoursPerDay?: DecimalInput
  costCode: string
  activity?: string
  note?: string
  workers?: WorkerInput[]
}

export interface CrewLineDoc {
  id: string
  position: number
  trade: string
  crew?: string
  headcount: number
  effort_unit: TimeUnit
  effort: string
  rate: string
  rate_unit?: TimeUnit
  hours_per_day?: string
  cost_code: string
  activity?: string
  note?: string
  presence?: string
  workers?: WorkerDoc[]
}

/** One crew line of a sheet in `currency`, at `position` (as the app writes a line a user adds). */
export function crewLine(l: CrewLineInput, currency: Currency, position: number, now: number = Date.now()): CrewLineDoc {
  const field = `lines[${position}]`
  if (!Number.isInteger(l.headcount) || l.headcount < 1 || l.headcount > 500) {
    throw new FieldError(`${field}.headcount`, `must be between 1 and 500 (got ${l.headcount})`)
  }
  if ((l.hours === undefined) === (l.days === undefined)) {
    throw new FieldError(`${field}.hours`, 'give hours or days (one of them)')
  }
  const unit: TimeUnit = l.hours !== undefined ? 'hour' : 'day'
  const effort = quantity((l.hours ?? l.days) as DecimalInput, `${field}.${unit === 'hour' ? 'hours' : 'days'}`)
  const hoursPerDay = l.hoursPerDay === undefined ? '8' : quantity(l.hoursPerDay, `${field}.hours_per_day`)
  return defined({
    id: l.id ?? newId(now),
    position,
    trade: required(`${field}.trade`, l.trade),
    crew: l.crew,
    headcount: l.headcount,
    effort_unit: unit,
    effort,
    rate: rate(l.rate, currency, `${field}.rate`),
    rate_unit: l.rateUnit && l.rateUnit !== unit ? l.rateUnit : undefined,
    hours_per_day: hoursPerDay === '8' ? undefined : hoursPerDay,
    cost_code: required(`${field}.cost_code`, l.costCode),
    activity: l.activity,
    note: l.note,
    presence: `edited ${now}`,
    workers: l.workers && l.workers.length > 0 ? l.workers.map((w, i) => worker(w, `${field}.workers[${i}]`)) : undefined,
  })
}

export interface LabourSheetInput extends HeaderInput {
  /** The day worked, `YYYY-MM-DD` on the site's calendar. */
  workDate: string
  currency?: Currency
  note?: string
  lines: CrewLineInput[]
}

export interface LabourSheetDoc extends HeaderDoc {
  kind: 'labour_sheet'
  work_date: string
  currency: Currency
  note?: string
  /** Crew lines keyed by their id, so two phones adding lines at once merge. */
  lines: Record<string, CrewLineDoc>
}

/** A labour sheet (点工单). */
export function labourSheet(s: LabourSheetInput): LabourSheetDoc {
  const currency = s.currency ?? 'CNY'
  const now = Date.now()
  const lines = s.lines.map((l, i) => crewLine(l, currency, i, now))
  return defined({
    ...header('labour_sheet', s),
    kind: 'labour_sheet' as const,
    work_date: date('work_date', s.workDate),
    currency,
    note: s.note,
    lines: Object.fromEntries(lines.map((l) => [l.id, l])),
  })
}

// ---------- expense ----------

export interface ExpenseInput extends HeaderInput {
  date: string
  amount: DecimalInput
  currency: Currency
  /** The code of one of the project's expense categories (`materials`, ...). */
  category: string
  vendor?: string
  costCode: string
  note?: string
  receipts?: PhotoRefDoc[]
}

export interface ExpenseDoc extends HeaderDoc {
  kind: 'expense'
  date: string
  amount: string
  currency: Currency
  category: string
  vendor?: string
  cost_code: string
  note?: string
  receipts?: Record<string, PhotoRefDoc>
}

export function expense(e: ExpenseInput): ExpenseDoc {
  return defined({
    ...header('expense', e),
    kind: 'expense' as const,
    date: date('date', e.date),
    amount: money(e.amount, e.currency, 'amount'),
    currency: e.currency,
    category: required('category', e.category),
    vendor: e.vendor,
    cost_code: required('cost_code', e.costCode),
    note: e.note,
    receipts: photoMap(e.receipts),
  })
}

// ---------- progress report ----------

export interface ProgressReportInput extends HeaderInput {
  date: string
  activity: string
  /** Cumulative percent complete (0-100): give this or `quantity`. */
  percent?: DecimalInput
  /** Quantity installed on the day, in `unit` (m3, t, m2...). */
  quantity?: { installed: DecimalInput; unit: string }
  caption?: string
  photos?: PhotoRefDoc[]
}

export interface ProgressReportDoc extends HeaderDoc {
  kind: 'progress_report'
  date: string
  activity: string
  measure: 'percent' | 'quantity'
  value: string
  unit?: string
  caption?: string
  photos?: Record<string, PhotoRefDoc>
}

export function progressReport(p: ProgressReportInput): ProgressReportDoc {
  if ((p.percent === undefined) === (p.quantity === undefined)) {
    throw new FieldError('measure', 'give percent or quantity (one of them)')
  }
  const measure = p.percent !== undefined ? ('percent' as const) : ('quantity' as const)
  return defined({
    ...header('progress_report', p),
    kind: 'progress_report' as const,
    date: date('date', p.date),
    activity: required('activity', p.activity),
    measure,
    value:
      p.percent !== undefined
        ? quantity(p.percent, 'percent')
        : quantity((p.quantity as { installed: DecimalInput }).installed, 'quantity', 3),
    unit: p.quantity ? required('unit', p.quantity.unit) : undefined,
    caption: p.caption,
    photos: photoMap(p.photos),
  })
}

// ---------- wage advance ----------

export interface WageAdvanceInput extends HeaderInput {
  date: string
  worker: WorkerInput
  crew?: string
  amount: DecimalInput
  currency: Currency
  /** Why (借支事由): required. */
  reason: string
  note?: string
  slips?: PhotoRefDoc[]
}

export interface WageAdvanceDoc extends HeaderDoc {
  kind: 'wage_advance'
  date: string
  worker: WorkerDoc
  crew?: string
  amount: string
  currency: Currency
  reason: string
  note?: string
  slips?: Record<string, PhotoRefDoc>
}

/** A wage advance (借支) handed to one worker. */
export function wageAdvance(w: WageAdvanceInput): WageAdvanceDoc {
  return defined({
    ...header('wage_advance', w),
    kind: 'wage_advance' as const,
    date: date('date', w.date),
    worker: worker(w.worker, 'worker'),
    crew: w.crew,
    amount: money(w.amount, w.currency, 'amount'),
    currency: w.currency,
    reason: required('reason', w.reason),
    note: w.note,
    slips: photoMap(w.slips),
  })
}

// ---------- observation ----------

export type ObservationCategory = 'safety' | 'quality' | 'delay' | 'other'
export type Severity = 'low' | 'medium' | 'high' | 'critical'

export interface ObservationInput extends HeaderInput {
  date: string
  category: ObservationCategory
  severity: Severity
  title: string
  description?: string
  place?: string
  gps?: { latitude: number; longitude: number; accuracyM?: number }
  activity?: string
  photos?: PhotoRefDoc[]
}

export interface ObservationDoc extends HeaderDoc {
  kind: 'observation'
  date: string
  category: ObservationCategory
  severity: Severity
  title: string
  description?: string
  place?: string
  gps?: { latitude: number; longitude: number; accuracy_m?: number }
  activity?: string
  photos?: Record<string, PhotoRefDoc>
}

/** A field observation (现场问题): not approved; the office follows it up. */
export function observation(o: ObservationInput): ObservationDoc {
  return defined({
    ...header('observation', o),
    kind: 'observation' as const,
    date: date('date', o.date),
    category: o.category,
    severity: o.severity,
    title: required('title', o.title),
    description: o.description,
    place: o.place,
    gps: o.gps
      ? defined({ latitude: o.gps.latitude, longitude: o.gps.longitude, accuracy_m: o.gps.accuracyM })
      : undefined,
    activity: o.activity,
    photos: photoMap(o.photos),
  })
}

// ---------- day log ----------

export type Weather =
  | 'sunny'
  | 'cloudy'
  | 'overcast'
  | 'light_rain'
  | 'rain'
  | 'heavy_rain'
  | 'snow'
  | 'fog'
  | 'windy'
  | 'other'
export type DelayCause = 'weather' | 'material' | 'equipment' | 'labour' | 'design' | 'owner' | 'inspection' | 'other'

export interface DayLogInput extends HeaderInput {
  date: string
  weatherAm?: Weather
  weatherPm?: Weather
  tempLowC?: DecimalInput
  tempHighC?: DecimalInput
  notes?: string
  visitors?: { id?: string; name: string; organisation?: string; purpose?: string }[]
  delays?: { id?: string; cause: DelayCause; hours: DecimalInput; description?: string }[]
}

export interface VisitorDoc {
  id: string
  position: number
  name: string
  organisation?: string
  purpose?: string
}

export interface DelayDoc {
  id: string
  position: number
  cause: DelayCause
  hours: string
  description?: string
}

export interface DayLogDoc extends HeaderDoc {
  kind: 'day_log'
  date: string
  weather_am?: Weather
  weather_pm?: Weather
  temp_low_c?: string
  temp_high_c?: string
  notes?: string
  visitors?: Record<string, VisitorDoc>
  delays?: Record<string, DelayDoc>
}

/** A day log (施工日志): one site's weather, visitors and delays on one day. */
export function dayLog(l: DayLogInput): DayLogDoc {
  const visitors = (l.visitors ?? []).map((v, i) =>
    defined({
      id: v.id ?? newId(),
      position: i,
      name: required(`visitors[${i}].name`, v.name),
      organisation: v.organisation,
      purpose: v.purpose,
    }),
  )
  const delays = (l.delays ?? []).map((d, i) =>
    defined({
      id: d.id ?? newId(),
      position: i,
      cause: d.cause,
      hours: quantity(d.hours, `delays[${i}].hours`),
      description: d.description,
    }),
  )
  return defined({
    ...header('day_log', l),
    kind: 'day_log' as const,
    date: date('date', l.date),
    weather_am: l.weatherAm,
    weather_pm: l.weatherPm,
    temp_low_c: l.tempLowC === undefined ? undefined : quantity(l.tempLowC, 'temp_low_c', 1),
    temp_high_c: l.tempHighC === undefined ? undefined : quantity(l.tempHighC, 'temp_high_c', 1),
    notes: l.notes,
    visitors: visitors.length ? Object.fromEntries(visitors.map((v) => [v.id, v])) : undefined,
    delays: delays.length ? Object.fromEntries(delays.map((d) => [d.id, d])) : undefined,
  })
}

export type RecordDoc = LabourSheetDoc | ExpenseDoc | ProgressReportDoc | WageAdvanceDoc | ObservationDoc | DayLogDoc
