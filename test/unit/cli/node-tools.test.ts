// The node's crictl and docker (cli/node-tools.ts) read their command lines with util.parseArgs:
// what crictl/docker users type works (`crictl ps -a`, `docker exec -it ID sh`, `docker inspect ID
// -f '{{.State.Pid}}'`), and a wrong command line exits 2 with one line naming what is wrong,
// before the node's records are opened, a process started or a file written. They run here in
// this process on a node state folder of their own, holding one pod (its sandbox and a container
// whose pid is this process, so it counts as running) written with the runtime's own CriStore.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { HelpRequest } from '../../../cli/args.js';
import { lastLines, nodeTools } from '../../../cli/node-tools.js';
import { NODE_TOOL_SPECS, parseNodeToolsCommand } from '../../../cli/node-tools-args.js';
import { CriStore } from '../../../runtime/cri/cri-store.js';
import { projectRoot } from '../../../runtime/project-root.js';

const base = mkdtempSync(join(tmpdir(), 'kw-node-tools-'));
after(() => rmSync(base, { recursive: true, force: true }));
const node = join(base, 'node5');
const imageDir = join(base, 'images');
process.env.KUBEWIRE_IMAGE_DIR = imageDir;

const SANDBOX = `5a0d${'b'.repeat(60)}`;
const CONTAINER = `c0ff${'e'.repeat(60)}`;
const UID = '0d3c6a4e-1111-4222-8333-944455556666';
const logPath = join(base, 'kubia.log');
writeFileSync(
  logPath,
  [
    '2026-12-03T19:00:00.000000000Z stdout F Kubia server starting...',
    '2026-12-03T19:00:01.000000000Z stderr F first request',
    '2026-12-03T19:00:02.000000000Z stdout F second request',
    '',
  ].join('\n'),
);
const store = new CriStore(join(node, 'cri'));
store.putSandbox({
  id: SANDBOX,
  name: 'kubia-b',
  namespace: 'default',
  uid: UID,
  hostname: 'kubia-b',
  netnsPath: '/run/netns/kw-x-pod',
  logDirectory: base,
  createdAt: Date.now() - 5000,
  shareProcessNamespace: false,
  cgroupParent: '/kubepods/pod1',
  image: 'registry.k8s.io/pause:3.10',
  pid: process.pid,
  state: 'SANDBOX_READY',
  labels: {},
  annotations: {},
});
store.putContainer({
  id: CONTAINER,
  podSandboxId: SANDBOX,
  name: 'kubia',
  image: 'docker.io/luksa/kubia:latest',
  imageId: `sha256:${'a'.repeat(64)}`,
  argv: ['node', 'app.js'],
  user: { uid: 0, gid: 0 },
  createdAt: Date.now() - 4000,
  startedAt: Date.now() - 3000,
  pid: process.pid,
  cgroupsPath: '/kubepods/pod1/c',
  logPath,
  labels: {},
  annotations: { 'io.kubernetes.container.restartCount': '0' },
});
writeFileSync(join(store.containerDir(CONTAINER), 'config.json'), JSON.stringify({ ociVersion: '1.0.2' }));
mkdirSync(join(node, 'exits'));
const DOCKER_NAME = `k8s_kubia_kubia-b_default_${UID}_0`;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runOn(node, argv);
}

async function runOn(dir: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await nodeTools([dir, ...argv], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

// A node folder with nothing in it: opening the runtime's records would create cri/ there.
const emptyNode = join(base, 'node6');
mkdirSync(emptyNode);

/** Every path under the node folders with its mtime, and whether the image store exists. */
function snapshot(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      const st = statSync(p);
      return [`${p} ${st.mtimeMs}`, ...(st.isDirectory() ? walk(p) : [])];
    });
  return [...walk(base), `image store: ${existsSync(imageDir)}`];
}

/** [argv, the first line on stderr]: each exits 2, then says where the usage is. */
const BAD: [string[], RegExp, string][] = [
  [['crictl', 'ps', '-x'], /^crictl ps: unknown option '-x' \(it takes --all, --quiet\)$/, 'crictl ps --help'],
  [['crictl', 'ps', 'extra'], /^crictl ps: takes no arguments \(got 'extra'\)$/, 'crictl ps --help'],
  [['crictl', 'pods', '--name', 'x'], /^crictl pods: unknown option '--name'/, 'crictl pods --help'],
  [['crictl', 'inspect'], /^crictl inspect: wants ID\.\.\. \(got 0 arguments\)$/, 'crictl inspect --help'],
  [
    ['crictl', 'inspect', '-o', 'yaml', CONTAINER],
    /^crictl inspect: --output: 'yaml' is not one of json, go-template$/,
    'crictl inspect --help',
  ],
  [
    ['crictl', 'inspect', '--template', '{{.info.pid}}', CONTAINER],
    /^crictl inspect: --template: goes with -o go-template$/,
    'crictl inspect --help',
  ],
  [
    ['crictl', 'inspect', '-o', 'go-template', CONTAINER],
    /^crictl inspect: --output: go-template wants --template T$/,
    'crictl inspect --help',
  ],
  [
    ['crictl', 'inspectp', 'abc;reboot'],
    /^crictl inspectp: ID: 'abc;reboot' is not a container ID or name$/,
    'crictl inspectp --help',
  ],
  [
    ['crictl', 'exec', '-it'],
    /^crictl exec: wants ID COMMAND \[ARG\.\.\.\] \(got 0 arguments\)$/,
    'crictl exec --help',
  ],
  [['crictl', 'exec', CONTAINER], /^crictl exec: COMMAND: missing: crictl exec c0ff/, 'crictl exec --help'],
  [
    ['crictl', 'exec', '-u', 'root', CONTAINER, 'sh'],
    /^crictl exec: unknown option '-u' \(it takes --interactive, --tty\)$/,
    'crictl exec --help',
  ],
  [
    ['crictl', 'exec', '$(reboot)', 'sh'],
    /^crictl exec: ID: '\$\(reboot\)' is not a container ID or name$/,
    'crictl exec --help',
  ],
  [
    ['crictl', 'logs', '--tail', 'x', CONTAINER],
    /^crictl logs: --tail: wants a number of lines or all, got 'x'$/,
    'crictl logs --help',
  ],
  [['crictl', 'logs', CONTAINER, SANDBOX], /^crictl logs: takes at most 1 argument \(got 2:/, 'crictl logs --help'],
  [
    ['crictl', 'images', 'nginx;id'],
    /^crictl images: REPOSITORY: 'nginx;id': bad path component/,
    'crictl images --help',
  ],
  [
    ['crictl', 'stop', CONTAINER],
    /^crictl: 'stop' is not one of the commands this node has \(ps, pods, inspect, inspectp, exec, logs, images\)$/,
    'crictl --help',
  ],
  [
    ['crictl', '--runtime-endpoint', 'x', 'ps'],
    /^crictl: '--runtime-endpoint' is not one of the commands this node has/,
    'crictl --help',
  ],
  [['crictl'], /^crictl: wants a COMMAND$/, 'crictl --help'],
  [
    ['docker', 'ps', '--no-trunc'],
    /^docker ps: unknown option '--no-trunc' \(it takes --all, --quiet\)$/,
    'docker ps --help',
  ],
  [['docker', 'inspect'], /^docker inspect: wants ID\.\.\. \(got 0 arguments\)$/, 'docker inspect --help'],
  [['docker', 'inspect', '-f'], /^docker inspect: -f needs a value$/, 'docker inspect --help'],
  [['docker', 'inspect', '-f', '', CONTAINER], /^docker inspect: --format: is empty$/, 'docker inspect --help'],
  [['docker', 'inspect', ''], /^docker inspect: ID: '' is not a container ID or name$/, 'docker inspect --help'],
  [['docker', 'exec', '-e', 'A=1', CONTAINER, 'env'], /^docker exec: unknown option '-e'/, 'docker exec --help'],
  [
    ['docker', 'logs', '-f', CONTAINER],
    /^docker logs: unknown option '-f' \(it takes --tail, --timestamps\)$/,
    'docker logs --help',
  ],
  [
    ['docker', 'network', 'ls'],
    /^docker network: 'ls' is not a network command this node has \(inspect\)$/,
    'docker network --help',
  ],
  [['docker', 'network', 'inspect'], /^docker network: NETWORK: missing/, 'docker network --help'],
  [
    ['docker', 'network', 'inspect', 'a b'],
    /^docker network: NETWORK: 'a b' is not a network name or ID$/,
    'docker network --help',
  ],
  [['docker', 'images', '-a'], /^docker images: unknown option '-a' \(it takes --quiet\)$/, 'docker images --help'],
  [
    ['docker', 'run', 'nginx'],
    /^docker: 'run' is not one of the commands this node has \(ps, inspect, exec, logs, images, network\)$/,
    'docker --help',
  ],
  [['podman', 'ps'], /^node-tools: wants STATE_DIR and crictl or docker, got /, ''],
];

test('a wrong command line exits 2 with one line naming it, and reads, runs or writes nothing', async () => {
  const before = snapshot();
  for (const [argv, first, help] of BAD)
    for (const dir of [node, emptyNode]) {
      const r = await runOn(dir, argv);
      const line = `${dir} ${argv.join(' ')}`;
      assert.equal(r.code, 2, `${line}: ${r.err}`);
      assert.equal(r.out, '', line);
      const [problem, ...rest] = r.err.trimEnd().split('\n');
      assert.match(problem!, first, line);
      if (help) assert.deepEqual(rest, [`See '${help}'.`], line);
    }
  assert.deepEqual(snapshot(), before, 'a refused command line touched the node folder or made the image store');
});

test('what crictl and docker users type reads as they mean it', () => {
  const p = (...argv: string[]) => parseNodeToolsCommand([node, ...argv]);
  assert.deepEqual(p('crictl', 'exec', '-it', CONTAINER, 'sh', '-c', 'ls -l').payload, ['sh', '-c', 'ls -l']);
  assert.equal(p('crictl', 'exec', '-it', CONTAINER, 'sh').values.tty, true);
  assert.equal(p('crictl', 'exec', '-i', '-t', CONTAINER, 'sh').values.interactive, true);
  assert.equal(p('docker', 'exec', CONTAINER, 'sh').values.tty, undefined);
  // Flags after the ID are the command's: -d is ip's, -h is ls's (not a request for help), as is --.
  assert.deepEqual(p('docker', 'exec', CONTAINER, 'ip', '-d', 'link').payload, ['ip', '-d', 'link']);
  assert.deepEqual(p('crictl', 'exec', CONTAINER, 'ls', '-h', '--help').payload, ['ls', '-h', '--help']);
  assert.deepEqual(p('crictl', 'exec', CONTAINER, '--', 'ls', '-l').payload, ['ls', '-l']);
  assert.deepEqual(p('docker', 'exec', '-t', '--', CONTAINER, 'ls').args, [CONTAINER]);
  // Elsewhere flags may follow the arguments, as docker and crictl allow.
  const i = p('docker', 'inspect', CONTAINER, SANDBOX, '-f', '{{.State.Pid}}');
  assert.deepEqual([i.args, i.values.format], [[CONTAINER, SANDBOX], '{{.State.Pid}}']);
  assert.deepEqual(p('docker', 'inspect', '--format={{.Id}}', 'abc').values.format, '{{.Id}}');
  assert.deepEqual(p('crictl', 'logs', CONTAINER, '--tail', '2').values.tail, 2);
  assert.equal(p('docker', 'logs', '--tail=all', CONTAINER).values.tail, undefined);
  assert.equal(p('crictl', 'logs', '--tail=-1', CONTAINER).values.tail, undefined);
  assert.deepEqual(p('docker', 'ps', '-aq').values, { all: true, quiet: true });
  assert.deepEqual(p('docker', 'network', 'inspect', 'none').args, ['none']);
  assert.deepEqual(p('docker', 'inspect', DOCKER_NAME).args, [DOCKER_NAME]);
  assert.throws(() => p('crictl', 'exec', '--help'), HelpRequest);
  assert.throws(() => p('crictl', 'exec', '-it', '--help', CONTAINER, 'sh'), HelpRequest);
});

test('the subcommands do what they did, on the runtime records', async () => {
  const ps = await run('crictl', 'ps', '-a');
  assert.equal(ps.code, 0, ps.err);
  assert.match(ps.out, /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD\n/);
  assert.match(
    ps.out,
    new RegExp(
      `^${CONTAINER.slice(0, 13)}\\s+a{13}\\s+\\d+ seconds ago\\s+Running\\s+kubia\\s+0\\s+${SANDBOX.slice(0, 13)}\\s+kubia-b$`,
      'm',
    ),
  );
  assert.deepEqual(await run('crictl', 'ps', '-q'), { code: 0, out: `${CONTAINER}\n`, err: '' });
  assert.deepEqual(await run('crictl', 'pods', '-q'), { code: 0, out: `${SANDBOX}\n`, err: '' });
  const docker = await run('docker', 'ps');
  assert.match(
    docker.out,
    new RegExp(
      `^${CONTAINER.slice(0, 12)}\\s+docker\\.io/luksa/kubia:latest\\s+"node app\\.js".*\\s${DOCKER_NAME}$`,
      'm',
    ),
  );
  assert.match(docker.out, new RegExp(`^${SANDBOX.slice(0, 12)}\\s.*"/pause".*k8s_POD_kubia-b_default_${UID}_0$`, 'm'));
  assert.deepEqual(await run('docker', 'ps', '-aq'), {
    code: 0,
    out: `${CONTAINER.slice(0, 12)}\n${SANDBOX.slice(0, 12)}\n`,
    err: '',
  });
  for (const argv of [
    ['docker', 'inspect', '-f', '{{.State.Pid}}', CONTAINER.slice(0, 12)],
    ['docker', 'inspect', DOCKER_NAME, '--format', '{{.State.Pid}}'],
    ['crictl', 'inspect', '-o', 'go-template', '--template', '{{.info.pid}}', CONTAINER],
  ])
    assert.deepEqual(await run(...argv), { code: 0, out: `${process.pid}\n`, err: '' }, argv.join(' '));
  const inspect = JSON.parse((await run('crictl', 'inspect', CONTAINER.slice(0, 6))).out) as {
    status: { state: string };
    info: { runtimeSpec: unknown };
  };
  assert.deepEqual([inspect.status.state, inspect.info.runtimeSpec], ['running', { ociVersion: '1.0.2' }]);
  assert.deepEqual(await run('docker', 'logs', CONTAINER, '--tail', '1'), {
    code: 0,
    out: 'second request\n',
    err: '',
  });
  assert.deepEqual(await run('crictl', 'logs', '-t', '--tail=2', CONTAINER), {
    code: 0,
    out: '2026-12-03T19:00:01.000000000Z first request\n2026-12-03T19:00:02.000000000Z second request\n',
    err: '',
  });
  assert.equal(
    (await run('crictl', 'logs', CONTAINER)).out,
    'Kubia server starting...\nfirst request\nsecond request\n',
  );
  const net = await run('docker', 'network', 'inspect', 'none', '-f', '{{.Name}} {{.Driver}}');
  assert.deepEqual(net, { code: 0, out: 'none null\n', err: '' });
});

test('what cannot be done exits 1 with one line, as docker and crictl say it', async () => {
  assert.deepEqual(await run('docker', 'inspect', 'ffff'), { code: 1, out: '', err: 'No such container: ffff\n' });
  assert.deepEqual(await run('crictl', 'logs', SANDBOX), {
    code: 1,
    out: '',
    err: `${SANDBOX} is a pod sandbox: it writes no log\n`,
  });
  const net = await run('docker', 'network', 'inspect', 'bridge');
  assert.equal(net.code, 1);
  assert.match(net.err, /^Error: No such network: bridge \(this node's pods are on network none, [0-9a-f]{12}\)\n$/);
});

test('--help: the tool lists its subcommands and exit statuses, each subcommand every flag it takes', async () => {
  for (const tool of ['crictl', 'docker'] as const) {
    for (const argv of [
      [tool, '--help'],
      [tool, '-h'],
      [tool, 'help'],
    ]) {
      const r = await run(...argv);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^usage: ${tool} COMMAND`));
      for (const sub of Object.keys(NODE_TOOL_SPECS[tool]))
        assert.match(r.out, new RegExp(`\\n  ${sub} `), `${tool} --help: ${sub}`);
      assert.match(r.out, /exit status: 0 done; 1 it could not be done.*\n {2}2 the command line is wrong/);
    }
    for (const [sub, spec] of Object.entries(NODE_TOOL_SPECS[tool])) {
      for (const argv of [
        [tool, sub, '--help'],
        [tool, 'help', sub],
      ]) {
        const r = await run(...argv);
        assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.out, new RegExp(`^usage: ${tool} ${sub}\\b`));
        for (const [name, f] of Object.entries(spec.flags as Record<string, { short?: string }>)) {
          assert.match(r.out, new RegExp(`--${name}\\b`), `${tool} ${sub} --help: --${name}`);
          if (f.short) assert.match(r.out, new RegExp(`-${f.short}\\b`), `${tool} ${sub} --help: -${f.short}`);
        }
      }
    }
  }
});

test('lastLines keeps the last n lines, with or without a final newline', () => {
  assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(lastLines('a\nb\nc', 1), 'c');
  assert.equal(lastLines('a\n', 5), 'a\n');
  assert.equal(lastLines('a\nb\n', 0), '');
});

test('the compiled entry exits with the status the tools return (2 for a wrong command line)', async () => {
  const main = join(projectRoot(), 'dist', 'cli', 'node-tools-main.js');
  const bad = await execa(process.execPath, [main, node, 'docker', 'ps', '--bogus'], { reject: false });
  assert.equal(bad.exitCode, 2, bad.stderr);
  assert.equal(bad.stderr, "docker ps: unknown option '--bogus' (it takes --all, --quiet)\nSee 'docker ps --help'.");
  const gone = await execa(process.execPath, [main, node, 'crictl', 'inspect', 'ffff'], { reject: false });
  assert.equal(gone.exitCode, 1, gone.stderr);
  assert.equal(gone.stderr, 'No such container: ffff');
});
