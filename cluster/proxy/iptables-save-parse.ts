// Reads `iptables-save` output into what a full sync needs to know: which chains exist in each
// table (to delete stale service chains) and which rules exist (to see which jump rules are there).

export interface SavedTable {
  chains: Set<string>;
  /** Every `-A ...` line, as printed. */
  rules: Set<string>;
}

export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('*')) {
      current = { chains: new Set(), rules: new Set() };
      tables.set(line.slice(1), current);
    } else if (!current) {
      continue;
    } else if (line.startsWith(':')) {
      current.chains.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ')) {
      current.rules.add(line);
    } else if (line === 'COMMIT') {
      current = undefined;
    }
  }
  return tables;
}
