import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearnerStore } from '../../../server/learner/learner-store.js';
import { learnerRequestValidators, parseProgressLine } from '../../../common/learner-contract.js';
import { requestValidators } from '../../../common/ui-contract.js';

const withDir = (fn: (dir: string) => void): void => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-learner-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('progress, prefs and layouts survive a new store (an app restart), in a 0600 file in a 0700 folder', () =>
  withDir((dir) => {
    const file = join(dir, 'state', 'ui.json');
    const a = new LearnerStore({ file, now: () => 1, log: () => {} });
    a.progress('veth-by-hand', { done: [1, 2], current: 3, hints: [2] });
    a.prefs({ selectedLab: 'veth-by-hand', theme: 'light', guidePercent: 40 });
    a.layout('veth-by-hand', { 'dev:kw-node5/cni0': { x: 10, y: 20 } });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
    const b = new LearnerStore({ file, now: () => 2, log: () => {} }).get();
    assert.deepEqual(b.labs['veth-by-hand'], { done: [1, 2], current: 3, hints: [2] });
    assert.equal(b.selectedLab, 'veth-by-hand');
    assert.equal(b.theme, 'light');
    assert.equal(b.guidePercent, 40);
    assert.deepEqual(b.layouts['veth-by-hand'], { 'dev:kw-node5/cni0': { x: 10, y: 20 } });
    assert.deepEqual(readdirSync(join(dir, 'state')), ['ui.json'], 'no temporary file left');
  }));

test('a file edited into nonsense is set aside, not trusted, and the store starts fresh', () =>
  withDir((dir) => {
    const file = join(dir, 'ui.json');
    writeFileSync(file, JSON.stringify({ labs: { 'veth-by-hand': { done: ['x'], current: 1, hints: [] } } }));
    const lines: string[] = [];
    const s = new LearnerStore({ file, now: () => 42, log: (l) => lines.push(l) }).get();
    assert.deepEqual(s.labs, {});
    assert.ok(readFileSync(`${file}.bad-42`, 'utf8').includes('veth-by-hand'));
    assert.match(lines[0]!, /not valid/);
  }));

test('requests are validated: unknown fields, out-of-range steps, huge layouts and bad themes are refused', () => {
  const v = requestValidators;
  assert.deepEqual(v['learner.progress']({ lab: 'a', progress: { done: [2, 1, 2], current: 1, hints: [] } }, 'r'), {
    lab: 'a',
    progress: { done: [1, 2], current: 1, hints: [] },
  });
  assert.throws(
    () => v['learner.progress']({ lab: 'a', progress: { done: [0], current: 1, hints: [] } }, 'r'),
    /outside/,
  );
  assert.throws(
    () => v['learner.progress']({ lab: '../x', progress: { done: [], current: 1, hints: [] } }, 'r'),
    /does not match/,
  );
  assert.throws(() => v['learner.prefs']({ theme: 'pink' }, 'r'), /dark or light/);
  assert.throws(() => v['learner.prefs']({ evil: 1 }, 'r'), /unknown field/);
  const big = Object.fromEntries(Array.from({ length: 1501 }, (_, i) => [`n${i}`, { x: 0, y: 0 }]));
  assert.throws(() => v['layout.save']({ key: 'a', positions: big }, 'r'), /more than 1500/);
  assert.throws(() => v['layout.save']({ key: 'a', positions: { 'a b': { x: 0, y: 0 } } }, 'r'), /does not match/);
  assert.throws(
    () => learnerRequestValidators['layout.save']({ key: 'a', positions: { a: { x: 1e9, y: 0 } } }, 'r'),
    /out of range/,
  );
});

test('phase lines from `kubewire up` parse; anything else is not a phase', () => {
  assert.deepEqual(parseProgressLine('kubewire-progress {"name":"nodes+cloud","event":"done","ms":12.5}'), {
    name: 'nodes+cloud',
    event: 'done',
    ms: 12.5,
  });
  assert.equal(parseProgressLine('lab article is up'), undefined);
  assert.equal(parseProgressLine('kubewire-progress {"name":"x","event":"maybe","ms":1}'), undefined);
  assert.equal(parseProgressLine('kubewire-progress {not json'), undefined);
});
