// One step of a lab's guide as the guide pane draws it: a head that opens and closes it, the text,
// Check, Solve… and (when the step has one) a hint revealed on request, and where a check's
// outcome is shown. What the buttons do is the guide panel's (guide-panel.ts).
import type { LabGuide, StepOutcome } from '../common/guide-contract.js';
import { h } from './dom.js';

export interface StepDeps {
  /** The hint was revealed before (the learner's saved progress). */
  hintShown: boolean;
  /** The guide's markdown, with its show-me links and run buttons. */
  md: (text: string) => HTMLElement[];
  /** The head was clicked: open the step if it is closed, close it if it is open. */
  toggle: (step: number) => void;
  check: (step: number, result: HTMLElement) => void;
  solve: (step: number, result: HTMLElement) => void;
  /** Show hint was pressed (the hint is shown already): remember it. */
  hintRevealed: (step: number) => void;
}

export function renderStep(s: LabGuide['stepList'][number], d: StepDeps): HTMLElement {
  const n = s.number;
  const head = h(
    'button',
    { class: 'step-head', 'aria-expanded': 'false', 'aria-controls': `step-body-${n}`, id: `step-head-${n}` },
    h('span', { class: 'step-mark', 'aria-hidden': 'true' }, String(n)),
    h('span', { class: 'step-title' }, s.title),
    h('span', { class: 'sr-only step-sr' }, ''),
  );
  head.addEventListener('click', () => d.toggle(n));
  const result = h('div', {
    class: 'guide-result',
    'data-step-result': String(n),
    role: 'status',
    'aria-live': 'polite',
  });
  const check = h('button', { 'data-check': String(n), 'data-needs': 'ready' }, 'Check');
  check.addEventListener('click', () => d.check(n, result));
  const solve = h('button', { 'data-solve': String(n), 'data-needs': 'ready', title: 'Do this step for me' }, 'Solve…');
  solve.addEventListener('click', () => d.solve(n, result));
  const buttons: HTMLElement[] = [check, solve];
  let hint: HTMLElement | undefined;
  if (s.hint) {
    const box = h('div', { class: 'guide-hint', id: `hint-${n}`, 'data-hint': String(n) }, ...d.md(s.hint));
    box.hidden = !d.hintShown;
    const reveal = h(
      'button',
      { 'data-hint-button': String(n), 'aria-expanded': String(!box.hidden), 'aria-controls': `hint-${n}` },
      box.hidden ? 'Show hint' : 'Hint shown',
    );
    reveal.addEventListener('click', () => {
      box.hidden = false;
      reveal.textContent = 'Hint shown';
      reveal.setAttribute('aria-expanded', 'true');
      d.hintRevealed(n);
    });
    buttons.push(reveal);
    hint = box;
  }
  const body = h(
    'div',
    { class: 'step-body', id: `step-body-${n}`, role: 'region', 'aria-labelledby': `step-head-${n}` },
    ...d.md(s.text),
    h('p', { class: 'step-why' }),
    h('div', { class: 'guide-actions' }, ...buttons),
    ...(hint ? [hint] : []),
    result,
  );
  body.hidden = true;
  return h('li', { class: 'step', 'data-step': String(n) }, head, body);
}

/** A check's (or a solve's) outcome in a step's result area. */
export function showOutcome(el: HTMLElement, o: StepOutcome): void {
  el.className = `guide-result ${o.ok ? 'pass' : 'fail'}`;
  el.replaceChildren(h('strong', {}, o.ok ? '✓ Check passed' : '✗ Not yet'), ...o.failures.map((f) => h('div', {}, f)));
}
