// Kubernetes' timestamps, one definition each (issue 14 item 18: one of each primitive).
// metav1.Time serialises as RFC 3339 at second precision (`2026-01-02T03:04:05Z`); metav1.MicroTime
// (Lease renewTime, Event eventTime) with six fractional digits (`2026-01-02T03:04:05.678000Z`).

/** RFC 3339 at second precision, as metav1.Time serialises (the fraction is dropped, not rounded). */
export function rfc3339(ms: number): string {
  // One text per second, kept: every create and binding stamps two or three timestamps of the
  // same second, and Date's toISOString was 1–2 % of the apiserver's CPU per create.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}
let lastSecond = NaN;
let lastText = '';

/** RFC 3339 with microseconds, as metav1.MicroTime serialises (our clocks have milliseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
