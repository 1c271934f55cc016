// Every command's flags go through Node's util.parseArgs (strict: an unknown flag, a missing value
// or a value given to a switch is refused), with the errors turned into the CLI's own: the command,
// the flag and what is wrong, then the command's usage, exit 2 (cli/main.ts). `-h`/`--help` prints
// the usage and exits 0. What follows `--` is left alone: it is the command to run (exec, pod-exec).
import { parseArgs } from 'node:util';
import { ValidationError } from '../common/errors.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Given more than once, every value is kept (string[]); otherwise the last one wins. */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** The parsed flags: a string (or string[] with `multiple`) or a boolean, absent when not given. */
export type FlagValues<F extends FlagSpecs> = {
  [K in keyof F]?: F[K]['type'] extends 'boolean'
    ? F[K]['multiple'] extends true
      ? boolean[]
      : boolean
    : F[K]['multiple'] extends true
      ? string[]
      : string;
};

export interface CommandSpec<F extends FlagSpecs> {
  /** As typed after `kubewire`: `up`, `image`, `lab`. */
  command: string;
  /** The full usage text (printed by --help and after a usage error); it names every flag. */
  usage: string;
  flags: F;
  /** How many arguments that are not flags it takes (default 0). */
  positionals?: { min?: number; max?: number };
  /** Arguments after `--` are the command's payload (exec's CMD...); else `--` ends the flags only. */
  passThrough?: boolean;
}

export interface ParsedCommandLine<F extends FlagSpecs> {
  values: FlagValues<F>;
  positionals: string[];
  /** Everything after the first `--` (only with passThrough). */
  passThrough: string[];
}

/** A command line a command cannot run with: exit 2, the problem then the usage on stderr. */
export class UsageError extends ValidationError {
  constructor(
    readonly command: string,
    problem: string,
    readonly usage: string,
  ) {
    super(`kubewire ${command}`, problem);
  }
}

/** `-h`/`--help` was given: print the usage on stdout, exit 0. */
export class HelpRequest extends Error {
  constructor(
    readonly usage: string,
    /** The flags the command takes, as typed (`--lab`, `-c`): its usage names each. */
    readonly flags: string[],
  ) {
    super('help requested');
    this.name = 'HelpRequest';
  }
}

function helpRequest(spec: CommandSpec<FlagSpecs>): HelpRequest {
  return new HelpRequest(
    spec.usage,
    Object.entries(spec.flags).flatMap(([name, f]) => [`--${name}`, ...(f.short ? [`-${f.short}`] : [])]),
  );
}

const HELP: FlagSpecs = { help: { type: 'boolean', short: 'h' } };

export function parseCommandLine<F extends FlagSpecs>(
  spec: CommandSpec<F>,
  args: readonly string[],
): ParsedCommandLine<F> {
  const options = { ...spec.flags, ...HELP };
  const max = spec.positionals?.max ?? 0;
  let parsed: ReturnType<typeof strictParse>;
  try {
    parsed = strictParse(options, args);
  } catch (err) {
    if (wantsHelp(args)) throw helpRequest(spec);
    const problem = explain(options, args, err);
    // exec node5 ip -br a: the command's own flags, without '--' before them.
    const hint = spec.passThrough && !args.includes('--') ? "; a command's own flags go after '--'" : '';
    throw new UsageError(spec.command, problem + hint, spec.usage);
  }
  if (parsed.values.help) throw helpRequest(spec);
  const end = parsed.tokens.find((t) => t.kind === 'option-terminator')?.index;
  const positionals = parsed.tokens.flatMap((t) =>
    t.kind === 'positional' && (!spec.passThrough || end === undefined || t.index < end) ? [t.value] : [],
  );
  const passThrough = spec.passThrough && end !== undefined ? args.slice(end + 1) : [];
  const usage = (problem: string) => new UsageError(spec.command, problem, spec.usage);
  if (positionals.length > max)
    throw usage(
      max === 0
        ? `takes no arguments (got '${positionals.join(' ')}')`
        : `takes at most ${max} argument${max === 1 ? '' : 's'} (got ${positionals.length}: '${positionals.join(' ')}')`,
    );
  const min = spec.positionals?.min ?? 0;
  if (positionals.length < min) throw usage(`wants ${min} argument${min === 1 ? '' : 's'}, got ${positionals.length}`);
  const values = { ...parsed.values } as Record<string, unknown>;
  delete values.help;
  return { values: values as FlagValues<F>, positionals, passThrough };
}

/** A UsageError for a flag's value (the caller's own check): names the command and the flag. */
export function badFlag(spec: CommandSpec<FlagSpecs>, flag: string, problem: string): UsageError {
  return new UsageError(spec.command, `--${flag}: ${problem}`, spec.usage);
}

/** A non-negative whole number from a flag's value; the error names the flag. */
export function integerFlag(spec: CommandSpec<FlagSpecs>, flag: string, v: string, what = 'a whole number'): number {
  if (!/^\d{1,15}$/.test(v)) throw badFlag(spec, flag, `wants ${what}, got '${v}'`);
  return Number(v);
}

function strictParse(options: FlagSpecs, args: readonly string[]) {
  return parseArgs({ args: [...args], options, strict: true, allowPositionals: true, tokens: true });
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * What parseArgs refused, said plainly: the same arguments read again without `strict`, whose
 * tokens show the first offending flag (its own messages vary by Node version and name no command).
 */
function explain(options: FlagSpecs, args: readonly string[], err: unknown): string {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'option-terminator') break;
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    const known = Object.keys(options)
      .filter((k) => k !== 'help')
      .map((k) => `--${k}`);
    if (!spec)
      return `unknown option '${t.rawName}' (${known.length ? `it takes ${known.join(', ')}` : 'it takes no options'})`;
    if (spec.type === 'string' && t.value === undefined) return `${t.rawName} needs a value`;
    if (spec.type === 'string' && !t.inlineValue && t.value?.startsWith('-'))
      return `${t.rawName} needs a value, got the option '${t.value}' (write ${t.rawName}=${t.value} if that is the value)`;
    if (spec.type === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value (got '${t.value}')`;
  }
  return err instanceof Error ? err.message : String(err);
}
