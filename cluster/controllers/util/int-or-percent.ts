// intstr.GetScaledValueFromIntOrPercent: "25%" of a total, rounded up or down; a number as is.
import { ValidationError } from '../../../common/errors.js';

export function scaledValue(
  v: number | string | undefined,
  total: number,
  roundUp: boolean,
  where: string,
  dflt: number | string,
): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    if (/^\d+$/.test(x)) return Number(x);
    throw new ValidationError(
      where,
      `invalid value ${JSON.stringify(x)}: must be an integer or percentage (e.g. '5%')`,
    );
  }
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}
