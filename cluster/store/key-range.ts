// Turns a key prefix into the half-open range [prefix, end) that SQLite's index can scan. SQLite
// compares TEXT bytewise (UTF-8), and UTF-8 byte order is code point order, so the end is the
// prefix with its last code point raised by one (etcd's prefix-end, on code points).

/** The smallest string greater than every string that starts with `prefix`; undefined: no bound. */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Surrogate code points cannot be stored as UTF-8; the next valid one is U+E000.
      const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
