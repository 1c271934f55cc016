// Kubernetes' timestamps, one definition each (issue 14 item 18: one of each primitive).
// metav1.Time serialises as RFC 3339 at second precision (`2026-01-02T03:04:05Z`); metav1.MicroTime
// (Lease renewTime, Event eventTime) with six fractional digits (`2026-01-02T03:04:05.678000Z`).

/** RFC 3339 at second precision, as metav1.Time serialises (the fraction is dropped, not rounded). */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises (our clocks have milliseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
