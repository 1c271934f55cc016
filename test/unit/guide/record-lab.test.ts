import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CommandRecorder, LineReconstructor, targetOf } from '../../../server/terminals/command-recorder.js';
import { shellQuote, writeRecordedLab } from '../../../server/guide/recorded-lab-writer.js';
import { loadLab } from '../../../runtime/guide/lab-file.js';
import { guideRequestValidators } from '../../../common/guide-contract.js';
import { GuideService } from '../../../server/guide/guide-service.js';
import { LabRunner } from '../../../runtime/guide/lab-runner.js';
import { cliLabEnvironment } from '../../../runtime/guide/cli-lab-environment.js';

const repo = resolve(import.meta.dirname, '../../../..');

test('line reconstruction: backspace, DEL, escape sequences, several lines in one write', () => {
  const r = new LineReconstructor();
  assert.deepEqual(r.push('ip adx\x7fdr\r'), ['ip addr']);
  assert.deepEqual(r.push('ls\x1b[A\x1b[D -l\x08\x08-a\rpwd\recho hi\n'), ['ls -a', 'pwd', 'echo hi']);
  assert.deepEqual(r.push('part'), []);
  assert.deepEqual(r.push('ial\x1bOB\r'), ['partial']);
  assert.deepEqual(r.push('junk\x03\r\r'), [], 'Ctrl-C drops the line; empty lines are not commands');
  assert.deepEqual(r.push('a\x1b]0;title\x07b\r'), ['ab']);
});

test('recorder: only while on, tagged by target, capped', () => {
  let t = 0;
  const rec = new CommandRecorder({ prefix: 'kw-', now: () => ++t, maxCommands: 2 });
  rec.input('a', 'kw-node5', 'before\r');
  rec.start();
  rec.input('a', 'kw-node5', 'ip link\r');
  rec.input('b', 'kw-default_web', 'curl x\rthird\r');
  assert.deepEqual(rec.stop(), [
    { target: 'node5', line: 'ip link', at: 1 },
    { target: 'default/web', line: 'curl x', at: 2 },
  ]);
  rec.input('a', 'kw-node5', 'after\r');
  assert.equal(rec.recorded().length, 2);
  assert.equal(targetOf('kw-', 'kw-gateway'), 'gateway');
});

test('contract validates record calls', () => {
  assert.deepEqual(guideRequestValidators['guide.record.save']({ id: 'my-lab', title: 'T' }, 'req'), {
    id: 'my-lab',
    title: 'T',
  });
  assert.throws(() => guideRequestValidators['guide.record.save']({ id: '../x', title: 'T' }, 'req'), /req\.id/);
  assert.throws(() => guideRequestValidators['guide.record.stop']({ x: 1 }, 'req'));
});

test('shellQuote survives quotes and expansions', () => {
  const s = `it's $(echo no); \`x\` "y" \\`;
  assert.equal(execFileSync('bash', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' }), s);
});

const tag = `kw-t${randomBytes(3).toString('hex')}-`;
const ns = `${tag}rec`;
const work = mkdtempSync(join(tmpdir(), 'kw-record-'));
after(() => {
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
});

test('a saved recording loads as a lab and its solve.sh runs exactly the typed command in the namespace', () => {
  const labsRoot = join(work, 'labs');
  mkdirSync(join(labsRoot, 'lib'), { recursive: true });
  mkdirSync(join(labsRoot, 'topologies'));
  copyFileSync(join(repo, 'labs/lib/lab.sh'), join(labsRoot, 'lib/lab.sh'));
  copyFileSync(join(repo, 'labs/topologies/article.yaml'), join(labsRoot, 'topologies/article.yaml'));
  const out = join(work, 'out.txt');
  const typed = `printf '%s\\n' "it's \\$(not run); ok" > ${out}`;
  const rec = new CommandRecorder({ prefix: tag, now: () => 1, maxCommands: 100 });
  rec.start();
  rec.input('a', ns, 'true\r');
  rec.input('a', ns, `${typed}\r`);
  rec.input('b', `${tag}default_web`, 'ip link\r');
  const { id, dir } = writeRecordedLab({
    labsRoot,
    id: 'demo',
    title: 'Demo',
    topologyFile: join(labsRoot, 'topologies/article.yaml'),
    commands: rec.stop(),
  });
  assert.equal(id, 'recorded-demo');
  assert.throws(
    () =>
      writeRecordedLab({
        labsRoot,
        id: 'demo',
        title: 'Demo',
        topologyFile: join(labsRoot, 'topologies/article.yaml'),
        commands: rec.recorded(),
      }),
    /already exists/,
  );
  assert.throws(
    () => writeRecordedLab({ labsRoot, id: 'Bad!', title: 'x', topologyFile: '', commands: rec.recorded() }),
    /does not match/,
  );

  const lab = loadLab(dir, labsRoot);
  assert.equal(lab.steps.length, 2);
  assert.deepEqual(
    lab.terminals.map((t) => t.target),
    ['rec', 'default/web'],
  );
  assert.deepEqual(lab.steps[0]!.commands, [{ terminal: lab.terminals[0]!.name, lines: ['true', typed] }]);
  assert.ok(lab.steps.every((s) => !s.checkFailsBeforeSolve));

  execFileSync('ip', ['netns', 'add', ns]);
  const prelude = 'source "$1"; source "$2"';
  const run = (script: string) =>
    spawnSync('bash', ['-c', prelude, 'kubewire-lab', join(labsRoot, 'lib/lab.sh'), script], {
      env: { ...process.env, KW_PREFIX: tag },
      encoding: 'utf8',
    });
  const solved = run(lab.steps[0]!.solveScript);
  assert.equal(solved.status, 0, solved.stderr);
  assert.equal(readFileSync(out, 'utf8'), `it's $(not run); ok\n`);
  assert.equal(run(lab.steps[0]!.checkScript).status, 0);
  // Step 2's namespace does not exist: its check reports the command and its exit code.
  const failed = run(lab.steps[1]!.checkScript);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stdout, /^FAIL: ip link exited \d+$/m);
});

test('guide service: record in a lab, stop, save; the new lab is listed and shown', () => {
  const labsRoot = join(work, 'svc-labs');
  for (const d of ['lib', 'topologies', 'veth-by-hand'])
    cpSync(join(repo, 'labs', d), join(labsRoot, d), { recursive: true });
  const recorder = new CommandRecorder({ prefix: 'kw-tguide-', now: () => 5, maxCommands: 100 });
  const svc = new GuideService({
    labsRoot,
    runner: new LabRunner(cliLabEnvironment('kw-tguide-', join(work, 'state')), join(labsRoot, 'lib', 'lab.sh')),
    prefix: 'kw-tguide-',
    namespaceExists: () => false,
    recorder,
  });
  assert.throws(() => svc.recordSave('early', 'x'), /nothing was recorded/);
  assert.equal(svc.recordStart('veth-by-hand').recording, true);
  recorder.input('t', 'kw-tguide-node5', 'ip -br link\r');
  const stopped = svc.recordStop();
  assert.deepEqual(
    [stopped.recording, stopped.lab, stopped.commands.map((c) => c.line)],
    [false, 'veth-by-hand', ['ip -br link']],
  );
  assert.deepEqual(svc.recordSave('mine', 'My recording'), { id: 'recorded-mine' });
  assert.ok(svc.list().some((l) => l.id === 'recorded-mine' && l.title === 'My recording' && l.steps === 1));
  assert.deepEqual(svc.show('recorded-mine').terminals[0]!.namespace, 'kw-tguide-node5');
  // The recording keeps the lab's variables and hand-made namespaces, so `$CONTAINER` replays and reset sweeps it.
  const saved = loadLab(join(labsRoot, 'recorded-mine'), labsRoot);
  assert.deepEqual([saved.vars, saved.namespaces], [{ CONTAINER: '{prefix}demo' }, ['{prefix}demo']]);
  assert.throws(() => svc.recordSave('mine', 'again'), /already exists/);
});
