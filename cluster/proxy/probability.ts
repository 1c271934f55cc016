// The `-m statistic --probability` argument as kube-proxy writes it: Go's fmt "%0.10f" of 1/n.
// JavaScript's toFixed breaks exact ties upward while Go rounds them to even (1/2048 =
// 0.00048828125 is such a tie), so the rounding is done here on the double's exact value.

/** Exact value of a positive finite double as mantissa / 2^shift. */
function exactParts(x: number): { mantissa: bigint; shift: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exponent === 0) {
    e = -1074;
  } else {
    mantissa |= 1n << 52n;
    e = exponent - 1075;
  }
  return e >= 0 ? { mantissa: mantissa << BigInt(e), shift: 0n } : { mantissa, shift: BigInt(-e) };
}

/** Go's strconv formatting of x with `digits` decimals (round half to even on the exact value). */
export function formatFixedLikeGo(x: number, digits: number): string {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`formatFixedLikeGo: ${x} is not a finite non-negative number`);
  const { mantissa, shift } = exactParts(x);
  const scale = 10n ** BigInt(digits);
  const den = 1n << shift;
  const num = mantissa * scale;
  let q = num / den;
  const twiceRem = (num % den) * 2n;
  if (twiceRem > den || (twiceRem === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/** kube-proxy's computeProbability(n), cached as kube-proxy precomputes them. */
export class ProbabilityCache {
  private readonly cache: string[] = [];

  probability(n: number): string {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`probability: n must be a positive integer, got ${n}`);
    return (this.cache[n] ??= formatFixedLikeGo(1 / n, 10));
  }
}
