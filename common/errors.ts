// Error base shared by every layer: typed, with a cause, and a one-line description for the CLI/UI.

export class KubewireError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input (topology, manifest, lab file, API body): says what is wrong and where. */
export class ValidationError extends KubewireError {
  constructor(
    /** Where: a file path, optionally with a field path, e.g. `labs/x.yaml: nodes[2].subnet`. */
    public readonly where: string,
    public readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

/** One line: the message and the chain of causes. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.filter((p, i) => p && p !== parts[i - 1]).join(': ');
}
