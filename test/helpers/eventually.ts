// Waiting in tests on something that happens on its own (a watch event, a sync, a process exit):
// poll a probe until it answers, with a generous bounded timeout instead of a fixed sleep. The one
// such helper of the test tree (it replaced a dozen hand-rolled loops that differed in whether a
// throwing probe failed the test at once, and one that returned silently at its timeout).

/** A probe answers with a value; `undefined`, `null` and `false` (and a throw) mean "not yet". */
export type Probe<T> = () => T | Promise<T>;
export type Answer<T> = Exclude<T, undefined | null | false>;

const FIRST_INTERVAL_MS = 5;
const MAX_INTERVAL_MS = 100;

/**
 * The probe's first answer. Polls every 5 ms at first, backing off to 100 ms so a long wait on a
 * process-spawning probe stays light. After `timeoutMs` it fails naming `what` and the probe's last
 * error (also as `cause`), if it threw.
 */
export function eventually<T>(what: string, probe: Probe<T>, timeoutMs?: number): Promise<Answer<T>>;
/** The same with the description last (the store tests' order). */
export function eventually<T>(probe: Probe<T>, timeoutMs?: number, what?: string): Promise<Answer<T>>;
export async function eventually<T>(
  a: string | Probe<T>,
  b?: Probe<T> | number,
  c?: number | string,
): Promise<Answer<T>> {
  const [what, probe, timeoutMs] =
    typeof a === 'string'
      ? [a, b as Probe<T>, (c as number | undefined) ?? 10_000]
      : [(c as string | undefined) ?? 'a condition', a, (b as number | undefined) ?? 10_000];
  const end = Date.now() + timeoutMs;
  let interval = FIRST_INTERVAL_MS;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as Answer<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const why = lastError === undefined ? '' : `; last error: ${(lastError as Error).message ?? String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(MAX_INTERVAL_MS, Math.ceil(interval * 1.5));
  }
}
