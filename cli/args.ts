// Every command's flags go through Node's util.parseArgs (strict: an unknown flag, a missing value
// or a value given to a switch is refused), with the errors turned into the CLI's own: the command,
// the flag and what is wrong, then the command's usage, exit 2 (cli/main.ts, cli/node-tools.ts).
// A flag's value of the wrong form (badFlag, integerFlag, choiceFlag) is the same kind of error.
// `-h`/`--help` prints the usage and exits 0. What follows `--` is left alone: it is the command to
// run (exec, pod-exec); with `flagsEndAtArgument` the first argument ends the flags already
// (`docker exec -it ID ls -l`: `-l` is ls's).
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
  /** The program, as its errors name it (default `kubewire`; the node tools: `crictl`, `docker`). */
  program?: string;
  /** As typed after the program: `up`, `image`, `lab`. */
  command: string;
  /** The full usage text (printed by --help and after a usage error); it names every flag. */
  usage: string;
  flags: F;
  /** How many arguments that are not flags it takes (default 0); `what` names them (`ID COMMAND...`). */
  positionals?: { min?: number; max?: number; what?: string };
  /** Arguments after `--` are the command's payload (exec's CMD...); else `--` ends the flags only. */
  passThrough?: boolean;
  /**
   * The first argument ends the flags (docker's and crictl's exec): it is the only positional,
   * everything after it is the payload (passThrough), its flags included.
   */
  flagsEndAtArgument?: boolean;
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
    program = 'kubewire',
  ) {
    super(command ? `${program} ${command}` : program, problem);
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
  const usage = (problem: string) => new UsageError(spec.command, problem, spec.usage, spec.program);
  if (spec.flagsEndAtArgument) return parseUpToArgument(spec, options, args);
  const max = spec.positionals?.max ?? 0;
  let parsed: ReturnType<typeof strictParse>;
  try {
    parsed = strictParse(options, args);
  } catch (err) {
    if (wantsHelp(args)) throw helpRequest(spec);
    const problem = explain(options, args, err);
    // exec node5 ip -br a: the command's own flags, without '--' before them.
    const hint = spec.passThrough && !args.includes('--') ? "; a command's own flags go after '--'" : '';
    throw usage(problem + hint);
  }
  if (parsed.values.help) throw helpRequest(spec);
  const end = parsed.tokens.find((t) => t.kind === 'option-terminator')?.index;
  const positionals = parsed.tokens.flatMap((t) =>
    t.kind === 'positional' && (!spec.passThrough || end === undefined || t.index < end) ? [t.value] : [],
  );
  const passThrough = spec.passThrough && end !== undefined ? args.slice(end + 1) : [];
  if (positionals.length > max)
    throw usage(
      max === 0
        ? `takes no arguments (got '${positionals.join(' ')}')`
        : `takes at most ${max} argument${max === 1 ? '' : 's'} (got ${positionals.length}: '${positionals.join(' ')}')`,
    );
  const min = spec.positionals?.min ?? 0;
  if (positionals.length < min) throw usage(tooFew(spec, positionals.length));
  const values = { ...parsed.values } as Record<string, unknown>;
  delete values.help;
  return { values: values as FlagValues<F>, positionals, passThrough };
}

/**
 * `flagsEndAtArgument`: the flags are those before the first argument (or before `--`); that
 * argument is the one positional, the rest the payload. Read without `strict` first, only to find
 * where the first argument stands (a flag's value is no argument), then the flags strictly.
 */
function parseUpToArgument<F extends FlagSpecs>(
  spec: CommandSpec<F>,
  options: FlagSpecs,
  args: readonly string[],
): ParsedCommandLine<F> {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional' || t.kind === 'option-terminator');
  const head = first ? args.slice(0, first.index) : [...args];
  const tail = first ? args.slice(first.kind === 'option-terminator' ? first.index + 1 : first.index) : [];
  const { values } = parseCommandLine(
    { ...spec, flagsEndAtArgument: false, passThrough: false, positionals: { max: 0 } },
    head,
  );
  const min = spec.positionals?.min ?? 0;
  if (tail.length < Math.min(min, 1)) throw new UsageError(spec.command, tooFew(spec, 0), spec.usage, spec.program);
  return { values, positionals: tail.slice(0, 1), passThrough: tail.slice(1) };
}

function tooFew(spec: CommandSpec<FlagSpecs>, got: number): string {
  const min = spec.positionals?.min ?? 0;
  const what = spec.positionals?.what;
  return what
    ? `wants ${what} (got ${got} argument${got === 1 ? '' : 's'})`
    : `wants ${min} argument${min === 1 ? '' : 's'}, got ${got}`;
}

/** A UsageError for a flag's value (the caller's own check): names the command and the flag. */
export function badFlag(spec: CommandSpec<FlagSpecs>, flag: string, problem: string): UsageError {
  return new UsageError(spec.command, `--${flag}: ${problem}`, spec.usage, spec.program);
}

/** A UsageError for an argument's value: `what` names it as the usage does (NODE, TARGET, REF). */
export function badArgument(spec: CommandSpec<FlagSpecs>, what: string, problem: string): UsageError {
  return new UsageError(spec.command, `${what}: ${problem}`, spec.usage, spec.program);
}

/** One of a fixed set of words (an enum); the error names the flag and lists them. */
export function choiceFlag<T extends string>(
  spec: CommandSpec<FlagSpecs>,
  flag: string,
  v: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(v))
    throw badFlag(spec, flag, `${shown(v)} is not one of ${choices.join(', ')}`);
  return v as T;
}

/** A value as an error quotes it: in quotes, control characters escaped, at most 80 characters. */
export function shown(v: string): string {
  const s = v.length > 80 ? `${v.slice(0, 77)}...` : v;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : `'${s}'`;
}

/** A non-negative whole number from a flag's value; the error names the flag. */
export function integerFlag(spec: CommandSpec<FlagSpecs>, flag: string, v: string, what = 'a whole number'): number {
  if (!/^\d{1,15}$/.test(v)) throw badFlag(spec, flag, `wants ${what}, got ${shown(v)}`);
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
