// What the lab screen remembers for its user (per guided lab: steps done, the step being worked
// on, hints shown; saved graph layouts; theme and pane width) and what the server is busy doing
// (a lab starting or replaying, phase by phase). Kept server-side in one 0600 file, so progress
// survives reloads and app restarts (the page's origin changes with its port: localStorage would not).
// Merged into common/ui-contract.ts.
import { ValidationError } from './errors.js';
import { asInteger, asNumber, asObject, asString, onlyKeys } from './validate.js';

export type Theme = 'dark' | 'light';

export interface LabProgress {
  /** Step numbers whose check passed, ascending. */
  done: number[];
  /** The step the learner is on (opened on return). */
  current: number;
  /** Steps whose hint was revealed. */
  hints: number[];
}

export interface Point {
  x: number;
  y: number;
}

export interface LearnerState {
  selectedLab: string | null;
  theme: Theme;
  /** Width of the guide pane in percent of the window (null: the default third). */
  guidePercent: number | null;
  labs: Record<string, LabProgress>;
  /** Graph layouts the user arranged, by key (a lab id, or the prefix outside a guided lab). */
  layouts: Record<string, Record<string, Point>>;
}

/** One phase of start/reset/replay as the runtime reports it (runtime/concurrency.ts PhaseTimer). */
export interface ActivityPhase {
  name: string;
  state: 'running' | 'done';
  ms: number;
}

export interface LabActivity {
  action: 'start' | 'replay';
  lab: string;
  phases: ActivityPhase[];
  /** For replay: steps solved and checked so far, of `stepsTotal`. */
  stepsDone: number;
  stepsTotal: number;
  elapsedMs: number;
}

export interface LearnerCalls {
  'learner.get': { request: Record<string, never>; response: LearnerState };
  /** Changes the given preferences only. */
  'learner.prefs': {
    request: { selectedLab?: string | null; theme?: Theme; guidePercent?: number | null };
    response: LearnerState;
  };
  /** Saves a lab's progress (an empty `done` list and step 1 is "start over"). */
  'learner.progress': { request: { lab: string; progress: LabProgress }; response: LabProgress };
  /** Saves (positions) or forgets (null) a graph layout. */
  'layout.save': { request: { key: string; positions: Record<string, Point> | null }; response: { saved: number } };
  /** What the guide is doing now (null: idle); the page polls it while a start or replay runs. */
  'guide.activity': { request: Record<string, never>; response: { activity: LabActivity | null } };
}

/** The phases `kubewire up` goes through after the guide's reset, in order, with what the learner reads. */
export const START_PHASES: readonly { name: string; label: string }[] = [
  { name: 'reset', label: 'removing the previous lab' },
  { name: 'prepare', label: 'preparing the state folder' },
  { name: 'namespaces', label: 'creating namespaces' },
  { name: 'underlay', label: 'wiring the underlay network' },
  { name: 'nodes+cloud', label: 'node networks, gateway and Internet' },
  { name: 'registry', label: 'starting the lab\u2019s image registry' },
  { name: 'pods', label: 'starting pods' },
  { name: 'prune', label: 'removing what the topology no longer has' },
  { name: 'cluster', label: 'cluster ready (apiserver, kubelets, kube-proxy)' },
  { name: 'pods-running', label: 'waiting for the lab\u2019s pods to run and kube-proxy to serve its Services' },
  { name: 'claim', label: 'marking the lab\u2019s own namespaces' },
];

/** Prefix of the phase lines `kubewire up` prints on stderr when KUBEWIRE_PROGRESS=1. */
export const PROGRESS_LINE_TAG = 'kubewire-progress';

export const MAX_LAYOUT_POSITIONS = 1500;
const LAB_ID = /^[a-z0-9][a-z0-9-]{0,40}$/;
const LAYOUT_KEY = /^[a-z0-9][a-z0-9-]{0,60}$/;
/** Graph element ids: namespace names and `namespace/ifname`, plus the renderer's `cluster:` ids. */
const ELEMENT_ID = /^[A-Za-z0-9_.:@/-]{1,140}$/;

function stepList(v: unknown, where: string): number[] {
  if (!Array.isArray(v)) throw new ValidationError(where, 'expected an array of step numbers');
  if (v.length > 100) throw new ValidationError(where, 'more than 100 steps');
  return [...new Set(v.map((x, i) => asInteger(x, `${where}[${i}]`, 1, 100)))].sort((a, b) => a - b);
}

export function parseLabProgress(v: unknown, where: string): LabProgress {
  const o = asObject(v, where);
  onlyKeys(o, where, ['done', 'current', 'hints']);
  return {
    done: stepList(o.done, `${where}.done`),
    current: asInteger(o.current, `${where}.current`, 1, 100),
    hints: stepList(o.hints, `${where}.hints`),
  };
}

export function parsePositions(v: unknown, where: string): Record<string, Point> {
  const o = asObject(v, where);
  const keys = Object.keys(o);
  if (keys.length > MAX_LAYOUT_POSITIONS)
    throw new ValidationError(where, `more than ${MAX_LAYOUT_POSITIONS} positions`);
  const out: Record<string, Point> = {};
  for (const k of keys) {
    asString(k, `${where} key`, { pattern: ELEMENT_ID });
    const p = asObject(o[k], `${where}.${k}`);
    onlyKeys(p, `${where}.${k}`, ['x', 'y']);
    const x = asNumber(p.x, `${where}.${k}.x`);
    const y = asNumber(p.y, `${where}.${k}.y`);
    if (Math.abs(x) > 1e6 || Math.abs(y) > 1e6) throw new ValidationError(`${where}.${k}`, 'position out of range');
    out[k] = { x, y };
  }
  return out;
}

export function parseTheme(v: unknown, where: string): Theme {
  const t = asString(v, where, { max: 10 });
  if (t !== 'dark' && t !== 'light')
    throw new ValidationError(where, `theme is dark or light, got ${JSON.stringify(t)}`);
  return t;
}

export const learnerRequestValidators: {
  [K in keyof LearnerCalls]: (v: unknown, where: string) => LearnerCalls[K]['request'];
} = {
  'learner.get': (v, where) => {
    onlyKeys(asObject(v ?? {}, where), where, []);
    return {};
  },
  'guide.activity': (v, where) => {
    onlyKeys(asObject(v ?? {}, where), where, []);
    return {};
  },
  'learner.prefs': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['selectedLab', 'theme', 'guidePercent']);
    const req: LearnerCalls['learner.prefs']['request'] = {};
    if (o.selectedLab !== undefined)
      req.selectedLab =
        o.selectedLab === null ? null : asString(o.selectedLab, `${where}.selectedLab`, { pattern: LAB_ID });
    if (o.theme !== undefined) req.theme = parseTheme(o.theme, `${where}.theme`);
    if (o.guidePercent !== undefined)
      req.guidePercent = o.guidePercent === null ? null : asInteger(o.guidePercent, `${where}.guidePercent`, 15, 70);
    return req;
  },
  'learner.progress': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['lab', 'progress']);
    return {
      lab: asString(o.lab, `${where}.lab`, { pattern: LAB_ID }),
      progress: parseLabProgress(o.progress, `${where}.progress`),
    };
  },
  'layout.save': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['key', 'positions']);
    return {
      key: asString(o.key, `${where}.key`, { pattern: LAYOUT_KEY }),
      positions: o.positions === null ? null : parsePositions(o.positions, `${where}.positions`),
    };
  },
};

/** Reads a `kubewire-progress {json}` line; undefined for any other line. */
export function parseProgressLine(line: string): { name: string; event: 'start' | 'done'; ms: number } | undefined {
  if (!line.startsWith(`${PROGRESS_LINE_TAG} `)) return undefined;
  try {
    const o = asObject(JSON.parse(line.slice(PROGRESS_LINE_TAG.length + 1)), 'progress line');
    const event = asString(o.event, 'progress line.event', { max: 10 });
    if (event !== 'start' && event !== 'done') return undefined;
    return {
      name: asString(o.name, 'progress line.name', { pattern: /^[a-z+-]{1,30}$/ }),
      event,
      ms: asNumber(o.ms, 'progress line.ms'),
    };
  } catch {
    return undefined;
  }
}
