// The lab screen's memory for one user: a JSON file only its owner reads (0600 in a 0700 folder),
// written whole to a temporary file and renamed, so a crash leaves the old or the new state,
// never half of one. A file that does not parse is set aside (…bad-<time>) and started fresh.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KubewireError } from '../../common/errors.js';
import {
  parseLabProgress,
  parsePositions,
  parseTheme,
  type LabProgress,
  type LearnerState,
  type Point,
  type Theme,
} from '../../common/learner-contract.js';
import { asInteger, asObject, asString } from '../../common/validate.js';

export class LearnerStoreError extends KubewireError {}

const MAX_LAYOUTS = 50;

export function emptyLearnerState(): LearnerState {
  return { selectedLab: null, theme: 'dark', guidePercent: null, labs: {}, layouts: {} };
}

export class LearnerStore {
  private state: LearnerState | undefined;

  constructor(private readonly d: { file: string; now: () => number; log: (line: string) => void }) {}

  get(): LearnerState {
    this.state ??= this.load();
    return structuredClone(this.state);
  }

  prefs(p: { selectedLab?: string | null; theme?: Theme; guidePercent?: number | null }): LearnerState {
    const s = this.get();
    if (p.selectedLab !== undefined) s.selectedLab = p.selectedLab;
    if (p.theme !== undefined) s.theme = p.theme;
    if (p.guidePercent !== undefined) s.guidePercent = p.guidePercent;
    this.save(s);
    return structuredClone(s);
  }

  progress(lab: string, progress: LabProgress): LabProgress {
    const s = this.get();
    s.labs[lab] = progress;
    this.save(s);
    return progress;
  }

  layout(key: string, positions: Record<string, Point> | null): number {
    const s = this.get();
    delete s.layouts[key];
    if (positions) {
      s.layouts[key] = positions;
      // Oldest first out: a key re-saved moves to the end of the object's order.
      for (const k of Object.keys(s.layouts).slice(0, Math.max(0, Object.keys(s.layouts).length - MAX_LAYOUTS)))
        delete s.layouts[k];
    }
    this.save(s);
    return positions ? Object.keys(positions).length : 0;
  }

  private load(): LearnerState {
    let text: string;
    try {
      text = readFileSync(this.d.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLearnerState();
      throw new LearnerStoreError(`cannot read the learner state ${this.d.file}`, { cause: err });
    }
    try {
      return parseState(JSON.parse(text));
    } catch (err) {
      const aside = `${this.d.file}.bad-${this.d.now()}`;
      this.d.log(`learner state ${this.d.file} is not valid (${String(err)}); kept as ${aside}, starting fresh`);
      try {
        renameSync(this.d.file, aside);
      } catch {
        // Could not move it: the next save overwrites it.
      }
      return emptyLearnerState();
    }
  }

  private save(s: LearnerState): void {
    mkdirSync(dirname(this.d.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.d.file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify(s) + '\n', { mode: 0o600 });
      chmodSync(tmp, 0o600); // the umask cannot widen it, but an existing tmp file keeps its mode
      renameSync(tmp, this.d.file);
    } catch (err) {
      throw new LearnerStoreError(`cannot save the learner state ${this.d.file}`, { cause: err });
    }
    this.state = s;
  }
}

/** The file is data that crossed a boundary (a user may edit it): every field is checked. */
export function parseState(v: unknown): LearnerState {
  const o = asObject(v, 'learner state');
  const s = emptyLearnerState();
  if (o.selectedLab !== undefined && o.selectedLab !== null)
    s.selectedLab = asString(o.selectedLab, 'selectedLab', { pattern: /^[a-z0-9][a-z0-9-]{0,40}$/ });
  if (o.theme !== undefined) s.theme = parseTheme(o.theme, 'theme');
  if (o.guidePercent !== undefined && o.guidePercent !== null)
    s.guidePercent = asInteger(o.guidePercent, 'guidePercent', 15, 70);
  for (const [k, p] of Object.entries(asObject(o.labs ?? {}, 'labs')))
    s.labs[asString(k, 'labs key', { pattern: /^[a-z0-9][a-z0-9-]{0,40}$/ })] = parseLabProgress(p, `labs.${k}`);
  for (const [k, p] of Object.entries(asObject(o.layouts ?? {}, 'layouts')))
    s.layouts[asString(k, 'layouts key', { pattern: /^[a-z0-9][a-z0-9-]{0,60}$/ })] = parsePositions(p, `layouts.${k}`);
  return s;
}
