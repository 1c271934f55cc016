// A start or replay in words and as a fraction, for the progress bar and the graph's "building"
// note (renderer/activity-bar.ts). Pure, so it is tested without a page.
import { START_PHASES, type LabActivity } from './learner-contract.js';

/** How far along, and what is being done, in words. Exported for the lab screen's graph overlay. */
export function describeActivity(a: LabActivity): { fraction: number; label: string } {
  const names = START_PHASES.map((p) => p.name);
  const done = a.phases.filter((p) => p.state === 'done' && names.includes(p.name)).length;
  const running = a.phases.filter((p) => p.state === 'running');
  const now = running.map((p) => START_PHASES.find((s) => s.name === p.name)?.label ?? p.name);
  const verb = a.action === 'start' ? 'Starting' : 'Replaying';
  const secs = `${(a.elapsedMs / 1000).toFixed(0)} s`;
  const startFraction = Math.min(1, (done + running.length * 0.5) / names.length);
  if (a.action === 'replay' && a.stepsTotal > 0 && a.phases.some((p) => p.name === 'cluster' && p.state === 'done')) {
    const fraction = 0.5 + (0.5 * a.stepsDone) / a.stepsTotal;
    return {
      fraction,
      label: `${verb} ${a.lab}: step ${Math.min(a.stepsDone + 1, a.stepsTotal)} of ${a.stepsTotal} (solve, then check) · ${secs}`,
    };
  }
  const fraction = a.action === 'replay' ? startFraction / 2 : startFraction;
  const step = `${Math.min(done + 1, names.length)}/${names.length}`;
  return {
    fraction,
    label: `${verb} ${a.lab}: ${now.length ? now.join(' + ') : 'waiting for kubewire'} (${step}) · ${secs}`,
  };
}
