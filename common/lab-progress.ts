// The rules of a learner's progress through a guided lab, kept pure so they are tested without a
// page: a step is done once its check passed; the current step is the first one not done after
// the step just finished; starting over forgets everything.
import type { LabProgress } from './learner-contract.js';

export function freshProgress(): LabProgress {
  return { done: [], current: 1, hints: [] };
}

export function markDone(p: LabProgress, step: number, steps: number): LabProgress {
  const done = [...new Set([...p.done, step])].sort((a, b) => a - b);
  // Move on only if the learner was on that step: a re-check of an older one does not jump.
  const current = p.current === step ? nextOpen(done, step, steps) : p.current;
  return { ...p, done, current };
}

export function nextOpen(done: number[], after: number, steps: number): number {
  for (let s = after + 1; s <= steps; s++) if (!done.includes(s)) return s;
  for (let s = 1; s <= steps; s++) if (!done.includes(s)) return s;
  return Math.min(after, steps);
}

export function withHint(p: LabProgress, step: number): LabProgress {
  return p.hints.includes(step) ? p : { ...p, hints: [...p.hints, step].sort((a, b) => a - b) };
}

/** Progress read back for a lab whose steps may have changed since: out-of-range steps drop. */
export function clampProgress(p: LabProgress | undefined, steps: number): LabProgress {
  if (!p) return freshProgress();
  const ok = (s: number): boolean => s >= 1 && s <= steps;
  return { done: p.done.filter(ok), current: ok(p.current) ? p.current : 1, hints: p.hints.filter(ok) };
}
