// The lab guide's calls (labs/README.md's format, run by runtime/guide/): list and show labs,
// start (reset + fresh topology), check and solve a step. Merged into common/ui-contract.ts.
import { asInteger, asObject, asString, onlyKeys } from './validate.js';

export interface LabSummary {
  id: string;
  title: string;
  summary: string;
  steps: number;
}

export interface LabGuide extends LabSummary {
  /** Named terminals with the namespace each one opens in (null: not resolvable yet). */
  terminals: { name: string; namespace: string; opensAfterStep?: number }[];
  stepList: {
    number: number;
    title: string;
    text: string;
    hint?: string;
    commands: { terminal: string; lines: string[] }[];
  }[];
}

export interface StepOutcome {
  ok: boolean;
  /** The check's `FAIL: …` lines: the learner's feedback. */
  failures: string[];
  output: string;
  durationMs: number;
}

export interface GuideCalls {
  'guide.list': { request: Record<string, never>; response: LabSummary[] };
  'guide.show': { request: { id: string }; response: LabGuide };
  'guide.start': { request: { id: string }; response: { ok: true; ms: number } };
  'guide.check': { request: { id: string; step: number }; response: StepOutcome };
  /** Solves the step (as `lab run` does), then checks it. */
  'guide.solve': { request: { id: string; step: number }; response: { solve: StepOutcome; check: StepOutcome | null } };
  /** Replay: fresh topology, then solve and check every step in order; stops at the first failure. */
  'guide.replay': {
    request: { id: string };
    response: { step: number; title: string; passed: boolean; failures: string[] }[];
  };
  /** Starts recording the command lines typed in terminals, for a lab built on lab `id`'s topology. */
  'guide.record.start': { request: { id: string }; response: RecordingState };
  'guide.record.stop': { request: Record<string, never>; response: RecordingState };
  /** Writes what was recorded as labs/recorded-<id>/ (never over an existing folder). */
  'guide.record.save': { request: { id: string; title: string }; response: { id: string } };
}

export interface RecordingState {
  recording: boolean;
  /** The lab whose topology a saved recording uses. */
  lab: string | null;
  commands: { target: string; line: string; at: number }[];
}

/** The id a recording is saved under; the lab is `recorded-<id>`. */
export const RECORDED_LAB_ID = /^[a-z0-9][a-z0-9-]{0,30}$/;

const LAB_ID = /^[a-z0-9][a-z0-9-]{0,40}$/;

const idOnly = (v: unknown, where: string): { id: string } => {
  const o = asObject(v, where);
  onlyKeys(o, where, ['id']);
  return { id: asString(o.id, `${where}.id`, { pattern: LAB_ID }) };
};
const idStep = (v: unknown, where: string): { id: string; step: number } => {
  const o = asObject(v, where);
  onlyKeys(o, where, ['id', 'step']);
  return { id: asString(o.id, `${where}.id`, { pattern: LAB_ID }), step: asInteger(o.step, `${where}.step`, 1, 100) };
};

export const guideRequestValidators: {
  [K in keyof GuideCalls]: (v: unknown, where: string) => GuideCalls[K]['request'];
} = {
  'guide.list': (v, where) => {
    onlyKeys(asObject(v ?? {}, where), where, []);
    return {};
  },
  'guide.show': idOnly,
  'guide.start': idOnly,
  'guide.check': idStep,
  'guide.solve': idStep,
  'guide.replay': idOnly,
  'guide.record.start': idOnly,
  'guide.record.stop': (v, where) => {
    onlyKeys(asObject(v ?? {}, where), where, []);
    return {};
  },
  'guide.record.save': (v, where) => {
    const o = asObject(v, where);
    onlyKeys(o, where, ['id', 'title']);
    return {
      id: asString(o.id, `${where}.id`, { pattern: RECORDED_LAB_ID }),
      title: asString(o.title, `${where}.title`, { min: 1, max: 120 }),
    };
  },
};
