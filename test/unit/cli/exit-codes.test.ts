// Exit status of the kubewire CLI: every command line that is the caller's fault (an unknown flag,
// a missing or extra argument, a value of the wrong form: not a number, not one of the choices, a
// name with `;` or `$(...)`) is a UsageError (exit 2) naming the flag or argument, thrown before
// anything is read from a lab or changed; what cannot be done (a lab that is not built) exits 1.
// Each bad command line runs in this process against an empty state folder and image store of its
// own, under a prefix of its own; afterwards both are still empty and no namespace has the prefix.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../../../cli/args.js';
import { commands } from '../../../cli/commands/index.js';
import { projectRoot } from '../../../runtime/project-root.js';

const base = mkdtempSync(join(tmpdir(), 'kw-exit-codes-'));
const stateDir = join(base, 'state');
const imageDir = join(base, 'images');
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
after(() => rmSync(base, { recursive: true, force: true }));

// The commands read these at call time; the test's own, whatever the shell that ran it exported.
const ENV = {
  KUBEWIRE_STATE_DIR: stateDir,
  KUBEWIRE_IMAGE_DIR: imageDir,
  KUBEWIRE_PREFIX: prefix,
  KUBEWIRE_STATE: join(base, 'apiserver'),
};
Object.assign(process.env, ENV);
delete process.env.KUBEWIRE_LAB;

/** Every path under `base` with its kind and mtime: what a command could have created or touched. */
function snapshot(): string[] {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).flatMap((n) => {
          const p = join(dir, n);
          const st = statSync(p);
          return [`${p} ${st.isDirectory() ? 'd' : 'f'} ${st.mtimeMs}`, ...(st.isDirectory() ? walk(p) : [])];
        })
      : [];
  return walk(base);
}

const labNamespaces = () =>
  (existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((n) => n.startsWith(prefix));

// A topology path that does not exist: had `up` not refused its command line, it would stop at
// reading the file (exit 1) instead of building a lab.
const NO_TOPOLOGY = join(base, 'no-such-topology.yaml');

/** [argv, what stderr's first line says (after `kubewire COMMAND: `)] */
const BAD: [string[], RegExp][] = [
  [['up', NO_TOPOLOGY, '--concurrency', '2x'], /^--concurrency: wants a whole number 1\.\.64, got '2x'$/],
  [['up', NO_TOPOLOGY, '--concurrency=0'], /^--concurrency: wants a whole number 1\.\.64, got '0'$/],
  [['up', NO_TOPOLOGY, '--concurrency=65'], /^--concurrency: wants a whole number 1\.\.64/],
  [['up', NO_TOPOLOGY, '--prefix', 'kw-$(id)-'], /^--prefix: 'kw-\$\(id\)-' must be "kw-"/],
  [['up', NO_TOPOLOGY, 'second.yaml'], /takes at most 1 argument \(got 2:/],
  [['up', NO_TOPOLOGY, '--dry-run=yes'], /--dry-run takes no value/],
  [['status', '--lab', 'a;b'], /^--lab: 'a;b' is not a lab name/],
  [['status', '--jsonn'], /^unknown option '--jsonn'/],
  [['down', '--state-dir='], /^--state-dir: is empty$/],
  [['kubeconfig', 'extra'], /^takes no arguments \(got 'extra'\)$/],
  [['exec', 'node5;id', '--', 'ls'], /^TARGET: 'node5;id' is not a node or \[namespace\/\]pod name/],
  [['exec', 'default/$(id)', '--', 'ls'], /^TARGET: 'default\/\$\(id\)' is not a node/],
  [['exec', 'a/b/c', '--', 'ls'], /^TARGET: 'a\/b\/c'/],
  [['exec', 'Node5', '--', 'ls'], /^TARGET: 'Node5'/],
  [['exec', 'node5'], /no command after '--'/],
  [['node', 'stop', 'node5;reboot'], /^NODE: 'node5;reboot' is not a node name/],
  [['node', 'halt', 'node5'], /^'halt' is not stop or start$/],
  [['node', 'stop'], /^wants 2 arguments, got 1$/],
  [['trace', 'node5', '10.0.0.999'], /^TO: '10\.0\.0\.999' is not a dotted IPv4 address$/],
  [['trace', 'node5', '10.0.0.1:99999'], /^TO: port 99999 is outside/],
  [['trace', 'node5', '$(id)'], /^TO: '\$\(id\)' is neither an IPv4 address nor a host name$/],
  [['trace', 'x;y', '10.0.0.1'], /^FROM: 'x;y' is not a node or \[namespace\/\]pod name .*gateway, internet/],
  [['trace', 'node5', '10.0.0.1', '--capture='], /^--capture: needs a folder$/],
  [['lab', 'show', 'Bad;Id'], /^ID: 'Bad;Id' is not a lab ID/],
  [['lab', 'run', 'pause-container', '--from', 'two'], /^--from: wants a step number, got 'two'$/],
  [['lab', 'list', '--from', '2'], /^--from is for lab run only$/],
  [['lab', 'frob'], /^unknown subcommand 'frob'$/],
  [['image', 'pull', 'nginx latest'], /^REF: 'nginx latest': empty, too long or has spaces$/],
  [['image', 'pull', 'nginx;id'], /^REF: 'nginx;id': bad path component/],
  [['image', 'pull', 'a', 'b'], /^pull wants one REF, got 2$/],
  [['image', 'rm', 'nginx:$(id)'], /^REF: 'nginx:\$\(id\)': bad tag/],
  [['image', 'build', 'nosuch'], /^NAME: 'nosuch' is not a built-in image \(pause, busybox/],
  [['image', 'build', 'all', 'pause'], /^NAME: 'all' is not a built-in image/],
  [['image', 'import', join(base, 'x.tar'), '--tag', 'A B'], /^--tag: 'A B': empty, too long or has spaces$/],
  [['image', 'ls', '--force'], /^--force: is for image build only$/],
  [['image', 'ls', 'extra'], /^ls takes no arguments \(got 'extra'\)$/],
  [['image', 'frob'], /^unknown subcommand 'frob' \(it has ls, list, pull/],
  [['image', 'pull', 'nginx', '--password-stdin'], /^--password-stdin: goes with --username$/],
  [['serve', '--port', '70000'], /^--port: '70000' is not a port number/],
  [['serve', '--port', 'http'], /^--port: 'http' is not a port number/],
  [['desktop', '--prefix', 'kw-;-'], /^--prefix: 'kw-;-' is not a lab prefix/],
  [['controller-manager', '--lease-duration', '5s'], /^--lease-duration: wants milliseconds, got '5s'$/],
  [['controller-manager', '--controllers', 'deployment,bogus'], /^--controllers: 'bogus' is not one of replicaset, /],
  [['controller-manager', '--controllers', ','], /^--controllers: names no controller$/],
  [['controller-manager', '--lb-pool', '10.0.0.9-10.0.0.1'], /^--lb-pool: range 10\.0\.0\.9-10\.0\.0\.1 ends before/],
  [['controller-manager', '--lb-pool', '10.0.0.0/40'], /^--lb-pool: prefix length 40 is more than 32$/],
  [['controller-manager', '--root-ca-file='], /^--root-ca-file: wants a file$/],
  [['scheduler', '--identity', 'a b'], /^--identity: "a b": letters, digits/],
  [['scheduler', '--retry-period', '-1'], /^--retry-period needs a value, got the option '-1'/],
  [['apiserver', '--listen', 'localhost'], /^--listen: wants HOST:PORT, got 'localhost'$/],
  [['apiserver', '--state='], /^--state: is empty$/],
  [['pod-exec', '--kubeconfig', '/k', 'default/$(id)'], /^'default\/\$\(id\)' is not NAMESPACE\/POD/],
  [['pod-exec', 'default/web', '-c', 'App'], /^--kubeconfig: is required$/],
];

test('every bad command line is a usage error naming the flag or argument, and changes nothing', async () => {
  const before = snapshot();
  for (const [argv, problem] of BAD) {
    const [name, ...args] = argv as [string, ...string[]];
    const err = await commands[name]!(args).then(
      (code) => new Error(`returned ${code}`),
      (e: unknown) => e,
    );
    const line = argv.join(' ');
    assert.ok(err instanceof UsageError, `kubewire ${line}: not a usage error (exit 2) but ${String(err)}`);
    assert.equal(err.command, name, line);
    const first = err.message.split('\n')[0]!;
    assert.ok(first.startsWith(`kubewire ${name}: `), `${line}: ${first}`);
    assert.match(first.slice(`kubewire ${name}: `.length), problem, line);
    assert.match(err.usage, new RegExp(`^usage: kubewire ${name}\\b`), line);
  }
  assert.deepEqual(snapshot(), before, 'a refused command line created or touched files');
  assert.deepEqual(labNamespaces(), [], 'a refused command line made a namespace');
});

test('a bad KUBEWIRE_PREFIX/KUBEWIRE_LAB is refused the same way, named as the variable, not as a flag', async () => {
  const saved = { ...process.env };
  try {
    process.env.KUBEWIRE_PREFIX = 'kw-$(id)-';
    for (const argv of [['status'], ['up', NO_TOPOLOGY, '--dry-run'], ['lab', 'run', 'pause-container'], ['serve']]) {
      const [name, ...args] = argv as [string, ...string[]];
      await assert.rejects(
        commands[name]!(args),
        (e: unknown) =>
          e instanceof UsageError &&
          /: \$KUBEWIRE_PREFIX: 'kw-\$\(id\)-' (must be|is not a lab prefix)/.test(e.message),
        argv.join(' '),
      );
    }
    // The flag wins over the variable, and is named when it is the bad one.
    await assert.rejects(commands.status!(['--prefix', 'kw-X-']), /kubewire status: --prefix: 'kw-X-'/);
    process.env.KUBEWIRE_PREFIX = prefix;
    process.env.KUBEWIRE_LAB = '../etc';
    await assert.rejects(
      commands.down!([]),
      (e: unknown) =>
        e instanceof UsageError && /^kubewire down: \$KUBEWIRE_LAB: '\.\.\/etc' is not a lab name/.test(e.message),
    );
  } finally {
    process.env = saved;
  }
});

test('the CLI exits 2 for a wrong command line (one line, then the usage), 1 for what cannot be done', async () => {
  const cli = join(projectRoot(), 'dist', 'cli', 'main.js');
  const run = (args: string[]) => execa(process.execPath, [cli, ...args], { reject: false, env: ENV });
  const before = snapshot();
  for (const [args, first] of [
    [
      ['up', NO_TOPOLOGY, '--concurrency', '2x'],
      /^kubewire up: --concurrency: wants a whole number 1\.\.64, got '2x'$/,
    ],
    [['exec', 'default/$(reboot)', '--', 'sh'], /^kubewire exec: TARGET: 'default\/\$\(reboot\)' is not/],
    [['frob'], /^kubewire: unknown command 'frob'$/],
    [[], /^usage: kubewire <command>/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    assert.match((args.length ? r.stderr : r.stdout).split('\n')[0]!, first);
  }
  // Not the command line's fault: the lab it names is not built (exit 1, one line, no usage).
  for (const [args, line] of [
    [['node', 'stop', 'node5'], /^kubewire: lab article is not built \(no .*; kubewire up builds it\)$/],
    [['lab', 'show', 'no-such-lab'], /^kubewire: no lab "no-such-lab" \(known: /],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.exitCode, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, line);
    assert.doesNotMatch(r.stderr, /usage:/);
  }
  assert.deepEqual(snapshot(), before);
  const help = await run(['--help']);
  assert.equal(help.exitCode, 0);
  assert.match(
    help.stdout,
    /\nexit status:\n {2}0 {2}done\n {2}1 {2}it could not be done.*\n[\s\S]* {2}2 {2}the command line is wrong/,
  );
});
