// Walks untrusted YAML/JSON data with a field path, so every complaint names the file, the exact
// field (`nodes[2].subnet`) and what is wrong.
import { ValidationError } from '../errors.js';

export type Plain = Record<string, unknown>;

export class FieldReader {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: unknown,
  ) {}

  fail(problem: string): never {
    throw new ValidationError(`${this.file}: ${this.path || '(top level)'}`, problem);
  }

  child(key: string | number): FieldReader {
    const path =
      typeof key === 'number'
        ? `${this.path}[${key}]`
        : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)
          ? this.path
            ? `${this.path}.${key}`
            : key
          : `${this.path}[${JSON.stringify(key)}]`;
    const v = this.value && typeof this.value === 'object' ? (this.value as Plain)[key as string] : undefined;
    return new FieldReader(this.file, path, v);
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  object(allowed?: readonly string[]): FieldReader {
    if (!this.present || typeof this.value !== 'object' || Array.isArray(this.value)) this.fail('must be a mapping');
    if (allowed) {
      for (const k of Object.keys(this.value as Plain)) {
        if (!allowed.includes(k)) this.child(k).fail(`unknown field (known: ${allowed.join(', ')})`);
      }
    }
    return this;
  }

  list(): FieldReader[] {
    if (!this.present) return [];
    if (!Array.isArray(this.value)) this.fail('must be a list');
    return (this.value as unknown[]).map((_, i) => this.child(i));
  }

  string(opts: { pattern?: RegExp; describe?: string; optional?: boolean } = {}): string {
    if (!this.present) {
      if (opts.optional) return '';
      this.fail('is required');
    }
    if (typeof this.value !== 'string') this.fail(`must be a string, got ${JSON.stringify(this.value)}`);
    const s = this.value as string;
    if (opts.pattern && !opts.pattern.test(s))
      this.fail(`${JSON.stringify(s)} ${opts.describe ?? `does not match ${opts.pattern}`}`);
    return s;
  }

  int(min: number, max: number, fallback?: number): number {
    if (!this.present && fallback !== undefined) return fallback;
    if (typeof this.value !== 'number' || !Number.isInteger(this.value))
      this.fail(`must be an integer, got ${JSON.stringify(this.value)}`);
    const n = this.value as number;
    if (n < min || n > max) this.fail(`${n} is outside ${min}..${max}`);
    return n;
  }

  /** Runs `parse` on the string value, turning its error into one that names this field. */
  parsed<T>(parse: (s: string) => T, opts: { optional?: boolean } = {}): T | undefined {
    const s = this.string({ optional: opts.optional });
    if (!s && opts.optional) return undefined;
    try {
      return parse(s);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  stringList(): string[] | undefined {
    if (!this.present) return undefined;
    return this.list().map((r) => {
      if (typeof r.value !== 'string' && typeof r.value !== 'number') r.fail('must be a string');
      return String(r.value);
    });
  }
}
