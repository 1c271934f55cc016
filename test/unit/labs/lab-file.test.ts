import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ValidationError } from '../../../common/errors.js';
import { loadLab, parseCommandBlocks, findLabDirs } from '../../../runtime/guide/lab-file.js';
import { stopTrackedProcesses } from '../../../runtime/guide/lab-runner.js';

const root = process.env.KUBEWIRE_ROOT ?? resolve('.');
const labsRoot = join(root, 'labs');

/** A copy of the labs folder to break things in. */
function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-labs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(labsRoot, dir, { recursive: true });
  return dir;
}

test('every shipped lab loads, names only declared terminals, and has check and solve per step', () => {
  const dirs = findLabDirs(labsRoot, (d) => readdirSync(d));
  assert.ok(dirs.length >= 1);
  for (const d of dirs) {
    const lab = loadLab(d, labsRoot);
    assert.ok(lab.steps.length > 0, lab.id);
    for (const s of lab.steps)
      assert.ok(s.commands.length > 0, `${lab.id} step ${s.number} shows the learner no command`);
  }
});

test('the veth lab follows the article: 192.168.132.150, cni0, two routes, google.com', () => {
  const lab = loadLab(join(labsRoot, 'veth-by-hand'), labsRoot);
  const all = lab.steps.flatMap((s) => s.commands.flatMap((c) => c.lines)).join('\n');
  for (const needle of [
    'unshare --net',
    '/var/run/netns',
    'master cni0',
    'name eth0',
    '192.168.132.150/24',
    'default via 192.168.132.1',
    '192.168.128.0/18 via 192.168.132.1',
    'curl -s 192.168.132.73:8080',
    '172.17.0.2',
    'curl -s google.com',
    'ping -c 2 -W 1 google.com',
  ]) {
    assert.ok(all.includes(needle), `the lab's commands should include ${needle}`);
  }
  assert.equal(lab.vars.CONTAINER, '{prefix}demo');
});

test('command blocks are read with their terminal', () => {
  const blocks = parseCommandBlocks(
    'text\n```bash node5\nip a\n\nip r\n```\n```\nnot a command\n```\n```bash container\nping x\n```\n',
  );
  assert.deepEqual(
    blocks.map((b) => [b.terminal, b.lines]),
    [
      ['node5', ['ip a', 'ip r']],
      ['container', ['ping x']],
    ],
  );
});

test('bad lab files are rejected with the file, the field and the problem', (t) => {
  const dir = scratch(t);
  const labDir = join(dir, 'veth-by-hand');
  const yamlFile = join(labDir, 'lab.yaml');
  const good = readFileSync(yamlFile, 'utf8');
  const expectError = (yaml: string, field: RegExp, problem: RegExp) => {
    writeFileSync(yamlFile, yaml);
    assert.throws(
      () => loadLab(labDir, dir),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError, String(e));
        assert.match(e.where, field);
        assert.match(e.problem, problem);
        return true;
      },
    );
  };
  expectError(good.replace('id: veth-by-hand', 'id: "x; rm -rf /"'), /lab\.yaml: id$/, /does not match/);
  expectError(
    good.replace('topology: ../topologies/article.yaml', 'topology: ../../../etc/passwd'),
    /topology$/,
    /outside/,
  );
  expectError(
    good.replace('  CONTAINER: "{prefix}demo"', '  CONTAINER: "$(reboot)"'),
    /vars\.CONTAINER$/,
    /must match/,
  );
  expectError(good.replace('dir: steps/05-routes', 'dir: steps/nope'), /steps\[4\]\.dir$/, /no such folder/);
  expectError(good.replace('  - name: container\n', '  - name: other\n'), /text\.md:\d+$/, /"container"/);
  expectError(good + '\n  - [unclosed', /lab\.yaml:\d+:\d+$/, /malformed YAML/);
  writeFileSync(yamlFile, good);
  rmSync(join(labDir, 'steps', '03-veth-into-cni0', 'check.sh'));
  assert.throws(() => loadLab(labDir, dir), /steps\[2\]\.dir: .* has no check\.sh/);
});

test('lab scripts are shellcheck clean', () => {
  assert.equal(
    spawnSync('shellcheck', ['--version']).status,
    0,
    'shellcheck is not installed (scripts/bootstrap.mjs installs it for npm test)',
  );
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.sh')) files.push(join(d, e.name));
    }
  };
  walk(labsRoot);
  const r = spawnSync('shellcheck', ['-s', 'bash', ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
});

test('stopTrackedProcesses kills a recorded process only while it is the same one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-pids-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const pid = child.pid!;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pids');
  writeFileSync(file, `${pid} 1\n`);
  assert.equal(stopTrackedProcesses(file), 0, 'a different start time means a different process');
  writeFileSync(file, `${pid} ${start}\n`);
  const exited = new Promise((r) => child.once('exit', r));
  assert.equal(stopTrackedProcesses(file), 1);
  await exited;
});
