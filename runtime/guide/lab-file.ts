// Reads a guided lab folder (labs/<id>/lab.yaml + a folder per step) into plain, validated data.
// Every problem is a ValidationError naming the file, the field and what is wrong.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { ValidationError } from '../../common/errors.js';

export interface LabTerminal {
  /** Name the step texts use in their fenced blocks (```bash node5). */
  name: string;
  /** A node name, `[ns/]pod`, `gateway`, `internet`, or a lab namespace written with `{prefix}`. */
  target: string;
  /** The terminal can only open once this step is done (its namespace does not exist before). */
  opensAfterStep?: number;
}

export interface LabCommandBlock {
  terminal: string;
  /** The lines of the block, as the learner would type them. */
  lines: string[];
}

export interface LabStep {
  /** 1-based, as the learner counts. */
  number: number;
  title: string;
  dir: string;
  text: string;
  hint?: string;
  commands: LabCommandBlock[];
  checkScript: string;
  solveScript: string;
  /** False for a step that is already satisfied by the previous ones (its solve does nothing). */
  checkFailsBeforeSolve: boolean;
}

export interface Lab {
  id: string;
  title: string;
  summary: string;
  dir: string;
  topologyFile: string;
  /** Values may contain `{prefix}`; see expandVars. */
  vars: Record<string, string>;
  terminals: LabTerminal[];
  /** Namespaces the steps create outside the topology (with `{prefix}`); reset removes them. */
  namespaces: string[];
  steps: LabStep[];
  /** The lab's own helper file (lib.sh), sourced before its scripts when present. */
  libFile?: string;
}

const ID = /^[a-z0-9][a-z0-9-]{0,40}$/;
const TERMINAL = /^[a-z0-9][a-z0-9-]{0,30}$/;
const VAR_NAME = /^[A-Z][A-Z0-9_]{0,30}$/;
const VAR_VALUE = /^[A-Za-z0-9_.{}/-]{1,100}$/;
const TARGET = /^[A-Za-z0-9_.{}/-]{1,100}$/;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(private readonly file: string) {}
  err(field: string, problem: string): ValidationError {
    return new ValidationError(`${this.file}: ${field}`, problem);
  }
  str(o: Obj, key: string, field: string, pattern?: RegExp, optional = false): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) {
      if (optional) return undefined;
      throw this.err(field, 'is required');
    }
    if (typeof v !== 'string' || v.trim() === '')
      throw this.err(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
    if (pattern && !pattern.test(v)) throw this.err(field, `${JSON.stringify(v)} does not match ${pattern}`);
    return v;
  }
}

/** Replaces `{prefix}` in a lab value. */
export function expandVars(value: string, prefix: string): string {
  return value.replaceAll('{prefix}', prefix);
}

/** Fenced blocks whose info string is `bash <terminal>`: the commands a learner runs there. */
export function parseCommandBlocks(markdown: string): Array<{ terminal: string; lines: string[]; line: number }> {
  const blocks: Array<{ terminal: string; lines: string[]; line: number }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(?:bash|sh)\s+([^\s`]+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('```'); j++) body.push(lines[j]!);
    blocks.push({ terminal: open[1]!, lines: body.filter((l) => l.trim() !== ''), line: i + 1 });
    i = j;
  }
  return blocks;
}

function readText(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(where, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Loads and validates labs/<id>/lab.yaml. `labsRoot` bounds every path the lab names. */
export function loadLab(labDir: string, labsRoot: string): Lab {
  const root = resolve(labsRoot);
  const dir = resolve(labDir);
  const file = join(dir, 'lab.yaml');
  const shown = relative(process.cwd(), file) || file;
  const r = new Reader(shown);
  const doc = parseDocument(readText(file, shown), { prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ValidationError(
      `${shown}${pos ? `:${pos.line}:${pos.col}` : ''}`,
      `malformed YAML: ${e.message.split('\n')[0]}`,
    );
  }
  const raw: unknown = doc.toJS();
  if (!isObj(raw)) throw r.err('(top level)', 'must be a mapping');

  const inside = (p: string, field: string): string => {
    const abs = resolve(dir, p);
    if (abs !== root && !abs.startsWith(root + sep)) throw r.err(field, `${JSON.stringify(p)} points outside ${root}`);
    return abs;
  };

  const id = r.str(raw, 'id', 'id', ID)!;
  const topologyFile = inside(r.str(raw, 'topology', 'topology')!, 'topology');
  if (!existsSync(topologyFile)) throw r.err('topology', `no such file ${topologyFile}`);

  const vars: Record<string, string> = {};
  if (raw.vars !== undefined) {
    if (!isObj(raw.vars)) throw r.err('vars', 'must be a mapping of NAME: value');
    for (const [k, v] of Object.entries(raw.vars)) {
      if (!VAR_NAME.test(k)) throw r.err(`vars.${k}`, `variable names must match ${VAR_NAME}`);
      if (typeof v !== 'string' || !VAR_VALUE.test(v)) throw r.err(`vars.${k}`, `value must match ${VAR_VALUE}`);
      vars[k] = v;
    }
  }

  const namespaces: string[] = [];
  if (raw.namespaces !== undefined) {
    if (!Array.isArray(raw.namespaces)) throw r.err('namespaces', 'must be a list of namespace names');
    raw.namespaces.forEach((n, i) => {
      if (typeof n !== 'string' || !/^\{prefix\}[a-z0-9][a-z0-9-]{0,30}$/.test(n)) {
        throw r.err(`namespaces[${i}]`, 'must be "{prefix}" followed by [a-z0-9-], so that it is the lab\'s');
      }
      namespaces.push(n);
    });
  }

  if (!Array.isArray(raw.terminals) || raw.terminals.length === 0)
    throw r.err('terminals', 'must list at least one terminal');
  const terminals = raw.terminals.map((t, i): LabTerminal => {
    const f = `terminals[${i}]`;
    if (!isObj(t)) throw r.err(f, 'must be a mapping with name and target');
    const opens = t.opensAfterStep;
    if (opens !== undefined && (typeof opens !== 'number' || !Number.isInteger(opens) || opens < 1)) {
      throw r.err(`${f}.opensAfterStep`, 'must be a step number (1 or more)');
    }
    return {
      name: r.str(t, 'name', `${f}.name`, TERMINAL)!,
      target: r.str(t, 'target', `${f}.target`, TARGET)!,
      ...(opens !== undefined ? { opensAfterStep: opens as number } : {}),
    };
  });
  const names = new Set<string>();
  for (const [i, t] of terminals.entries()) {
    if (names.has(t.name)) throw r.err(`terminals[${i}].name`, `${t.name} is listed twice`);
    names.add(t.name);
  }

  if (!Array.isArray(raw.steps) || raw.steps.length === 0) throw r.err('steps', 'must list at least one step');
  const steps = raw.steps.map((s, i): LabStep => {
    const f = `steps[${i}]`;
    if (!isObj(s)) throw r.err(f, 'must be a mapping with dir and title');
    const stepDir = inside(r.str(s, 'dir', `${f}.dir`)!, `${f}.dir`);
    if (!existsSync(stepDir) || !statSync(stepDir).isDirectory()) throw r.err(`${f}.dir`, `no such folder ${stepDir}`);
    for (const need of ['text.md', 'check.sh', 'solve.sh']) {
      if (!existsSync(join(stepDir, need))) throw r.err(`${f}.dir`, `${stepDir} has no ${need}`);
    }
    const text = readText(join(stepDir, 'text.md'), `${f}.dir`);
    const commands = parseCommandBlocks(text).map((b) => {
      if (!names.has(b.terminal)) {
        throw new ValidationError(
          `${join(stepDir, 'text.md')}:${b.line}`,
          `names terminal "${b.terminal}", which terminals: does not list`,
        );
      }
      return { terminal: b.terminal, lines: b.lines };
    });
    const flag = s.checkFailsBeforeSolve;
    if (flag !== undefined && typeof flag !== 'boolean')
      throw r.err(`${f}.checkFailsBeforeSolve`, 'must be true or false');
    const hintFile = join(stepDir, 'hint.md');
    return {
      number: i + 1,
      title: r.str(s, 'title', `${f}.title`)!,
      dir: stepDir,
      text,
      ...(existsSync(hintFile) ? { hint: readText(hintFile, `${f}.dir`) } : {}),
      commands,
      checkScript: join(stepDir, 'check.sh'),
      solveScript: join(stepDir, 'solve.sh'),
      checkFailsBeforeSolve: flag ?? true,
    };
  });
  for (const [i, t] of terminals.entries()) {
    if (t.opensAfterStep !== undefined && t.opensAfterStep > steps.length) {
      throw r.err(`terminals[${i}].opensAfterStep`, `the lab has only ${steps.length} steps`);
    }
  }

  const libFile = join(dir, 'lib.sh');
  return {
    id,
    title: r.str(raw, 'title', 'title')!,
    summary: (r.str(raw, 'summary', 'summary', undefined, true) ?? '').trim(),
    dir,
    topologyFile,
    vars,
    terminals,
    namespaces,
    steps,
    ...(existsSync(libFile) ? { libFile } : {}),
  };
}

/** Every lab folder (a folder holding lab.yaml) directly under labsRoot. */
export function findLabDirs(labsRoot: string, list: (d: string) => string[]): string[] {
  return list(labsRoot)
    .map((name) => join(labsRoot, name))
    .filter((d) => existsSync(join(d, 'lab.yaml')))
    .sort();
}
