// Decimal text as Fieldledger's schema stores it (docs/record-documents.md): money, rates and
// quantities are canonical strings ("350.00", "45.625", "7.5"), never floats. These helpers work on
// the digits as text, so no float rounding can creep in; a number is accepted only when its shortest
// decimal form (`String(n)`) is the value meant (350, 7.5; not 0.1 + 0.2).

export type Currency = 'CNY' | 'HKD' | 'USD' | 'EUR' | 'JPY' | 'KRW'

export const CURRENCIES: readonly Currency[] = ['CNY', 'HKD', 'USD', 'EUR', 'JPY', 'KRW']

/** Decimals of a currency's amounts (JPY and KRW have none). */
export function currencyScale(currency: Currency): number {
  return currency === 'JPY' || currency === 'KRW' ? 0 : 2
}

/** A decimal given as text ("350.5") or a number (350.5). */
export type DecimalInput = string | number

/** A value that does not fit a field; `field` names it as the server would. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
    this.name = 'FieldError'
  }
}

interface Parsed {
  negative: boolean
  int: string // digits, no leading zeros ("0" for zero)
  frac: string // digits, possibly with trailing zeros
}

const MAX_INTEGER_DIGITS = 15

function parse(field: string, input: DecimalInput): Parsed {
  let text: string
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new FieldError(field, `${input} is not a number`)
    text = String(input)
    if (/e/i.test(text)) throw new FieldError(field, `${text}: write it as decimal text`)
  } else {
    text = input.trim()
  }
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text)
  if (!m) throw new FieldError(field, `${JSON.stringify(text)} is not a decimal (digits and one '.')`)
  const int = m[2].replace(/^0+(?=\d)/, '')
  if (int.length > MAX_INTEGER_DIGITS) {
    throw new FieldError(field, `${text} is too large (at most ${MAX_INTEGER_DIGITS} digits before the point)`)
  }
  return { negative: m[1] === '-', int, frac: m[3] ?? '' }
}

function render(p: Parsed): string {
  const zero = /^0*$/.test(p.int) && /^0*$/.test(p.frac)
  return `${p.negative && !zero ? '-' : ''}${p.int}${p.frac ? `.${p.frac}` : ''}`
}

/** Trailing zeros of the fraction dropped ("8.00" -> "8"). */
function trimmed(p: Parsed): Parsed {
  return { ...p, frac: p.frac.replace(/0+$/, '') }
}

function padded(p: Parsed, scale: number): Parsed {
  return p.frac.length >= scale ? p : { ...p, frac: p.frac.padEnd(scale, '0') }
}

/**
 * Money in `currency`, exactly the currency's decimals: `money('350.5', 'CNY')` is "350.50",
 * `money(1200, 'JPY')` "1200". More decimals than the currency has is refused (a builder never rounds
 * money silently).
 */
export function money(value: DecimalInput, currency: Currency, field = 'amount'): string {
  const scale = currencyScale(currency)
  const p = trimmed(parse(field, value))
  if (p.frac.length > scale) throw new FieldError(field, `${value}: ${currency} has ${scale} decimals`)
  return render(padded(p, scale))
}

/**
 * A rate: at least the currency's decimals, at most 4, no trailing zeros beyond the currency's
 * (`rate('350', 'CNY')` "350.00", `rate('45.6250', 'CNY')` "45.625").
 */
export function rate(value: DecimalInput, currency: Currency, field = 'rate'): string {
  const p = trimmed(parse(field, value))
  if (p.frac.length > 4) throw new FieldError(field, `${value}: a rate has at most 4 decimals`)
  return render(padded(p, currencyScale(currency)))
}

/** A quantity (hours, days, percent, °C): no trailing zeros (`quantity('8.00')` "8"). */
export function quantity(value: DecimalInput, field = 'quantity', maxScale = 2): string {
  const p = trimmed(parse(field, value))
  if (p.frac.length > maxScale) throw new FieldError(field, `${value}: at most ${maxScale} decimals`)
  return render(p)
}

/** Exact decimal arithmetic on canonical text, for totals: scaled to `scale` decimals. */
export function toUnits(value: string, scale: number): bigint {
  const p = parse('value', value)
  if (p.frac.length > scale) throw new FieldError('value', `${value} has more than ${scale} decimals`)
  const units = BigInt(p.int + p.frac.padEnd(scale, '0'))
  return p.negative ? -units : units
}

/** `units` (a count of 10^-scale) as decimal text with exactly `scale` decimals. */
export function fromUnits(units: bigint, scale: number): string {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0')
  const int = digits.slice(0, digits.length - scale)
  const frac = digits.slice(digits.length - scale)
  return `${negative && units !== 0n ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`
}
