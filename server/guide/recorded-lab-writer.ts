// Writes recorded terminal commands as a new guided lab folder (labs/README.md's format): one step
// per run of consecutive commands in the same terminal. Commands go into the scripts as typed,
// single-quoted at generation time, so nothing in them is expanded while the script is read.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { ValidationError } from '../../common/errors.js';
import { RECORDED_LAB_ID } from '../../common/guide-contract.js';
import type { RecordedCommand } from '../terminals/command-recorder.js';

const RECORDED_ID = RECORDED_LAB_ID;

/** A bash word holding exactly `s`: '…' with each ' written as '\''. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface RecordedLabSpec {
  labsRoot: string;
  id: string;
  title: string;
  /** The topology file of the lab the commands were recorded in. */
  topologyFile: string;
  /** The recorded-in lab's variables and hand-made namespaces, so commands using $CONTAINER replay. */
  vars?: Record<string, string>;
  namespaces?: string[];
  commands: RecordedCommand[];
}

/** Writes `<labsRoot>/recorded-<id>/`; returns the lab id. Refuses an existing folder. */
export function writeRecordedLab(spec: RecordedLabSpec): { id: string; dir: string } {
  if (!RECORDED_ID.test(spec.id))
    throw new ValidationError('guide.record.save id', `${JSON.stringify(spec.id)} does not match ${RECORDED_ID}`);
  const title = spec.title.replace(/\s+/g, ' ').trim();
  if (title === '') throw new ValidationError('guide.record.save title', 'must not be empty');
  if (spec.commands.length === 0) throw new ValidationError('guide.record.save', 'nothing was recorded');
  const id = `recorded-${spec.id}`;
  const dir = join(spec.labsRoot, id);
  if (existsSync(dir)) throw new ValidationError('guide.record.save id', `${dir} already exists`);

  const names = new Map<string, string>();
  const nameOf = (target: string): string => {
    let n = names.get(target);
    if (!n) {
      n = `t${names.size + 1}-${
        target
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 24) || 'ns'
      }`;
      names.set(target, n);
    }
    return n;
  };
  const steps: { target: string; lines: string[] }[] = [];
  for (const c of spec.commands) {
    const last = steps[steps.length - 1];
    if (last && last.target === c.target) last.lines.push(c.line);
    else steps.push({ target: c.target, lines: [c.line] });
    nameOf(c.target);
  }

  // Built in a temporary folder and renamed, so a failure leaves no half-written lab.
  const tmp = join(spec.labsRoot, `.${id}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const stepEntries = steps.map((s, i) => {
      const stepDir = join('steps', `${String(i + 1).padStart(2, '0')}-${nameOf(s.target)}`);
      mkdirSync(join(tmp, stepDir), { recursive: true });
      const term = nameOf(s.target);
      const fence = s.lines.some((l) => l.startsWith('```')) ? '~~~' : '```';
      writeFileSync(
        join(tmp, stepDir, 'text.md'),
        `Run in terminal \`${term}\` (${s.target}):\n\n${fence}bash ${term}\n${s.lines.join('\n')}\n${fence}\n`,
      );
      const header =
        '#!/usr/bin/env bash\n# Generated from a recording; run by the lab runner after labs/lib/lab.sh.\nset -uo pipefail\n';
      const run = (line: string): string => `in_ns ${shellQuote(s.target)} bash -c ${shellQuote(line)}`;
      writeFileSync(join(tmp, stepDir, 'solve.sh'), `${header}set -e\n${s.lines.map(run).join('\n')}\n`, {
        mode: 0o755,
      });
      const lastLine = s.lines[s.lines.length - 1]!;
      writeFileSync(
        join(tmp, stepDir, 'check.sh'),
        `${header}${run(lastLine)} >/dev/null 2>&1\nrc=$?\nif [ "$rc" -ne 0 ]; then\n  printf 'FAIL: %s exited %s\\n' ${shellQuote(lastLine)} "$rc"\n  exit 1\nfi\n`,
        { mode: 0o755 },
      );
      return { dir: stepDir, title: `${s.target}: ${s.lines[0]!.slice(0, 60)}`, checkFailsBeforeSolve: false };
    });
    const lab = {
      id,
      title,
      summary: `Recorded from ${spec.commands.length} commands typed in lab terminals.`,
      topology: relative(tmp, spec.topologyFile),
      ...(spec.vars && Object.keys(spec.vars).length ? { vars: spec.vars } : {}),
      ...(spec.namespaces?.length ? { namespaces: spec.namespaces } : {}),
      terminals: [...names].map(([target, name]) => ({ name, target })),
      steps: stepEntries,
    };
    writeFileSync(join(tmp, 'lab.yaml'), stringify(lab));
    if (existsSync(dir)) throw new ValidationError('guide.record.save id', `${dir} already exists`);
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { id, dir };
}
