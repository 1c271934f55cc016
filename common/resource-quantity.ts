// resource.Quantity arithmetic for what quota and limit ranges compare and report: parse to an
// exact integer of milli-units (BigInt, so 8Ei plus 1m stays exact) and format back the way
// apimachinery canonicalises (binary suffixes when the inputs used them, else decimal, else `m`).

const DECIMAL: Record<string, bigint> = {
  '': 1n,
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
};
const BINARY: Record<string, bigint> = {
  Ki: 2n ** 10n,
  Mi: 2n ** 20n,
  Gi: 2n ** 30n,
  Ti: 2n ** 40n,
  Pi: 2n ** 50n,
  Ei: 2n ** 60n,
};

export type QuantityFormat = 'DecimalSI' | 'BinarySI';

export interface Quantity {
  /** Value × 1000, rounded up as Kubernetes rounds sub-milli precision. */
  milli: bigint;
  format: QuantityFormat;
}

export class QuantityError extends Error {}

const RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

export function parseQuantityExact(q: unknown): Quantity {
  const text = typeof q === 'number' ? String(q) : q;
  const m = typeof text === 'string' ? RE.exec(text.trim()) : null;
  if (!m)
    throw new QuantityError(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  const [, sign, num, suffix = '', exp] = m;
  const [int, frac = ''] = num!.split('.');
  // value = digits × 10^-frac.length × multiplier; keep ×1000 for milli-units.
  const digits = BigInt((int || '0') + frac);
  let numer = digits * 1000n;
  let denom = 10n ** BigInt(frac.length);
  let format: QuantityFormat = 'DecimalSI';
  if (exp !== undefined) {
    const e = BigInt(exp);
    if (e >= 0n) numer *= 10n ** e;
    else denom *= 10n ** -e;
  } else if (suffix in BINARY) {
    numer *= BINARY[suffix]!;
    format = 'BinarySI';
  } else if (suffix === 'n') denom *= 10n ** 9n;
  else if (suffix === 'u') denom *= 10n ** 6n;
  else if (suffix === 'm') denom *= 1000n;
  else numer *= DECIMAL[suffix]!;
  const milli = (numer + denom - 1n) / denom;
  return { milli: sign === '-' ? -milli : milli, format };
}

/** Canonical text of a quantity (apimachinery's String()). */
export function formatQuantity(q: Quantity): string {
  const { milli, format } = q;
  if (milli === 0n) return '0';
  const neg = milli < 0n;
  const abs = neg ? -milli : milli;
  const sign = neg ? '-' : '';
  if (abs % 1000n !== 0n) return `${sign}${abs}m`;
  const v = abs / 1000n;
  if (format === 'BinarySI' && v >= 1024n) {
    for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'])
      if (v % BINARY[s]! === 0n) return `${sign}${v / BINARY[s]!}${s}`;
    // Not a whole binary multiple: decimal, as apimachinery falls back to.
  }
  for (const s of ['E', 'P', 'T', 'G', 'M', 'k'])
    if (v % DECIMAL[s]! === 0n && v >= DECIMAL[s]!) return `${sign}${v / DECIMAL[s]!}${s}`;
  return `${sign}${v}`;
}

export function addQuantities(a: Quantity | undefined, b: Quantity): Quantity {
  return a ? { milli: a.milli + b.milli, format: a.format } : { ...b };
}

/** Milli-units of a quantity, for comparisons (throws QuantityError on a malformed one). */
export const milliOf = (q: unknown): bigint => parseQuantityExact(q).milli;
