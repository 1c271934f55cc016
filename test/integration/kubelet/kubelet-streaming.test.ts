// The kubelet's server through the apiserver, driven by the real kubectl v1.32 and the official
// @kubernetes/client-node on a two-node lab: exec with and without a TTY (WebSocket v5, and SPDY as
// older clients speak it), exit codes, stdin; attach; port-forward + curl (kubectl's WebSocket
// tunnel and plain SPDY; client-node's WebSocket protocol); cp both ways; logs -f/--tail/
// --timestamps/--previous; debug with an ephemeral busybox; nodes/proxy with the kubelet's own
// authorization; the kubelet refusing an anonymous caller on its port inside the lab.
import { CriStore } from '../../../runtime/cri/cri-store.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { execa } from 'execa';
import { Attach, Exec, KubeConfig, Log, Metrics, PortForward, type V1Status } from '@kubernetes/client-node';
import { createServer, type AddressInfo } from 'node:net';
import { eventually, TestLab, TWO_NODES } from '../runtime/harness.js';

const KUBECTL = '/usr/bin/kubectl';
const SKIP = existsSync(KUBECTL) ? false : 'kubectl is not installed';

describe('kubelet server: exec, attach, port-forward, cp, logs, debug', { timeout: 600_000 }, () => {
  before(() => {
    if (SKIP) throw new Error(`${SKIP}: npm start installs it (scripts/bootstrap.mjs)`);
  });
  const lab = new TestLab(TWO_NODES, 'two.yaml');
  const tmp = mkdtempSync(join(tmpdir(), 'kw-kubelet-test-'));
  let kubeconfig = '';
  const kubectl = (args: string[], env: Record<string, string> = {}, input?: string) =>
    execa(KUBECTL, args, {
      env: { KUBECONFIG: kubeconfig, ...env },
      reject: false,
      timeout: 60_000,
      ...(input !== undefined ? { input } : {}),
    });

  before(async () => {
    writeFileSync(join(tmp, 'two.yaml'), TWO_NODES);
    const up = await lab.cli(['up', join(tmp, 'two.yaml')], { timeoutMs: 240_000 });
    assert.equal(up.exitCode, 0, up.stderr);
    kubeconfig = (await lab.cli(['kubeconfig', '--lab', 'two'])).stdout.trim();
    await eventually(
      async () =>
        (await kubectl(['get', 'pod', 'tools', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running'
          ? true
          : undefined,
      60_000,
    );
  });
  after(async () => {
    try {
      await lab.cleanup();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('kubectl exec: output, stderr, exit code, stdin, over WebSocket and SPDY', async () => {
    const r = await kubectl(['exec', 'tools', '--', 'sh', '-c', 'hostname; echo oops >&2; exit 3']);
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'tools');
    assert.match(r.stderr, /oops\ncommand terminated with exit code 3/);
    const cat = await kubectl(['exec', '-i', 'tools', '--', 'sh', '-c', 'tr a-z A-Z'], {}, 'through stdin\n');
    assert.equal(cat.stdout, 'THROUGH STDIN');
    const spdy = await kubectl(
      ['exec', '-i', 'kubia-b', '--', 'sh', '-c', 'cat; exit 5'],
      { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
      'spdy in\n',
    );
    assert.equal(spdy.exitCode, 5);
    assert.equal(spdy.stdout, 'spdy in');
    // exec enters the container's mount namespace: the same /etc/resolv.conf as the container sees.
    const resolv = await kubectl(['exec', 'tools', '--', 'cat', '/etc/resolv.conf']);
    const pids = (await execa('ip', ['netns', 'pids', lab.pod('tools')])).stdout.trim().split('\n');
    const sleeper = pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep'))!;
    assert.equal(resolv.stdout, readFileSync(`/proc/${sleeper}/root/etc/resolv.conf`, 'utf8').trimEnd());
  });

  // crun exec --tty under the node's exec console (native/exec-console.c): the pty's master comes
  // to the kubelet's side and the client's sizes are set on it, the first one as soon as it exists.
  test('kubectl exec -it: a real terminal with its size, resized later', async () => {
    // The shell asks after a moment, as an interactive shell's prompt does; see the todo below.
    const script = `stty cols 101 rows 31; ${KUBECTL} exec -it tools -- sh -c 'sleep 0.5; tty; stty size; exit 7'`;
    const r = await execa('script', ['-qfec', script, '/dev/null'], {
      env: { KUBECONFIG: kubeconfig },
      reject: false,
      timeout: 60_000,
      input: '',
    });
    const out = r.stdout.replace(/\r/g, '');
    assert.match(out, /\/dev\/pts\/\d+/);
    assert.match(out, /31 101/);
    assert.match(out, /command terminated with exit code 7/);
    // A resize after the start (client-node's terminal size queue: a resizable stdout) reaches the pty.
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const term = collect();
    const screen = Object.assign(term.stream, { rows: 24, columns: 80 });
    const status = await new Promise<V1Status>((resolve, reject) => {
      void new Exec(kc)
        .exec(
          'default',
          'tools',
          'netshoot',
          ['sh', '-c', 'stty size; sleep 2; stty size'],
          screen,
          null,
          null,
          true,
          resolve,
        )
        .then(() =>
          setTimeout(() => {
            Object.assign(screen, { rows: 40, columns: 132 });
            screen.emit('resize');
          }, 1500),
        )
        .catch(reject);
    });
    assert.equal(status.status, 'Success');
    assert.match(term.text().replace(/\r/g, ''), /^24 80\n40 132\n$/);
  });

  // crun 1.8.1 sets an exec's consoleSize from its parent after it let the process start, so the
  // process is the node's tty-ready first (native/tty-ready.c, on fd 3), which execs the command
  // once the terminal has its size: a command reading it at its very first instant gets it (before,
  // 8 of 12 tries at load 25 saw 0 0). Several tries, since the race was one of timing.
  test("kubectl exec -it: the size is there at the process's first instant", async () => {
    for (let i = 0; i < 4; i++) {
      const script = `stty cols 101 rows 31; ${KUBECTL} exec -it tools -- stty size`;
      const r = await execa('script', ['-qfec', script, '/dev/null'], {
        env: { KUBECONFIG: kubeconfig },
        reject: false,
        timeout: 60_000,
        input: '',
      });
      assert.match(r.stdout, /31 101/);
    }
    // The command is the process itself once it runs (same pid, no wrapper left), and a command
    // that does not exist fails as crun's own lookup does.
    const ps = await execa(
      'script',
      ['-qfec', `${KUBECTL} exec -it tools -- sh -c 'echo $$; cat /proc/$$/cmdline'`, '/dev/null'],
      {
        env: { KUBECONFIG: kubeconfig },
        reject: false,
        timeout: 60_000,
        input: '',
      },
    );
    assert.match(ps.stdout.replace(/\0/g, ' '), /sh -c echo/);
    const missing = await execa('script', ['-qfec', `${KUBECTL} exec -it tools -- no-such-command`, '/dev/null'], {
      env: { KUBECONFIG: kubeconfig },
      reject: false,
      timeout: 60_000,
      input: '',
    });
    assert.match(missing.stdout, /executable file `no-such-command` not found in \$PATH/);
    assert.match(missing.stdout, /command terminated with exit code 255/);
  });

  test('kubectl port-forward + curl, through the WebSocket tunnel and through SPDY', async () => {
    for (const env of [{}, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]) {
      const port = await freePort();
      const pf = execa(KUBECTL, ['port-forward', 'pod/kubia-b', `${port}:8080`], {
        env: { KUBECONFIG: kubeconfig, ...env },
        reject: false,
      });
      try {
        const body = await eventually(async () => {
          const c = await execa('curl', ['-s', '--max-time', '3', `http://127.0.0.1:${port}/`], { reject: false });
          return c.stdout.includes("You've hit") ? c.stdout : undefined;
        }, 20_000);
        assert.match(body, /You've hit kubia-b/);
      } finally {
        pf.kill('SIGINT');
        await pf;
      }
    }
  });

  test('kubectl cp both ways', async () => {
    const src = join(tmp, 'payload.bin');
    writeFileSync(src, randomBytes(200_000));
    const remote = `/tmp/kw-cp-${randomBytes(4).toString('hex')}.bin`;
    const put = await kubectl(['cp', src, `default/tools:${remote}`]);
    assert.equal(put.exitCode, 0, put.stderr);
    const back = join(tmp, 'back.bin');
    const get = await kubectl(['cp', `default/tools:${remote}`, back]);
    assert.equal(get.exitCode, 0, get.stderr);
    assert.deepEqual(readFileSync(back), readFileSync(src));
    await kubectl(['exec', 'tools', '--', 'rm', '-f', remote]);
  });

  test('kubectl logs: --tail, -f with --timestamps, attach, --previous after a restart', async () => {
    const tail = await kubectl(['logs', 'kubia-b', '--tail=1']);
    assert.equal(tail.stdout.split('\n').length, 1);
    assert.match((await kubectl(['logs', 'kubia-b'])).stdout, /^Kubia server starting/);
    const follow = execa(KUBECTL, ['logs', '-f', '--timestamps', '--tail=0', 'kubia-b'], {
      env: { KUBECONFIG: kubeconfig },
      reject: false,
    });
    const attach = execa(KUBECTL, ['attach', 'kubia-b'], { env: { KUBECONFIG: kubeconfig }, reject: false });
    let seen = '';
    follow.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
    let attached = '';
    attach.stdout!.on('data', (b: Buffer) => (attached += b.toString()));
    await new Promise((r) => setTimeout(r, 2000));
    await lab.exec(lab.pod('tools'), ['curl', '-s', '--max-time', '3', '192.168.132.73:8080']);
    await eventually(
      async () =>
        /^\d{4}-\d\d-\d\dT[\d:.]+Z Received request from/m.test(seen) && attached.includes('Received request')
          ? true
          : undefined,
      10_000,
    );
    follow.kill('SIGINT');
    attach.kill('SIGINT');
    await Promise.allSettled([follow, attach]);
    // A container killed from outside restarts; --previous shows the run before.
    // The container's process as its node's CRI runtime records it (what crictl inspect shows).
    const nodeName = (await kubectl(['get', 'pod', 'kubia-b', '-o', 'jsonpath={.spec.nodeName}'])).stdout;
    const store = new CriStore(join(lab.paths.node(nodeName), 'runtime', 'cri'));
    const sandbox = [...store.sandboxes.values()].find(
      (s) => s.name === 'kubia-b' && s.namespace === 'default' && s.state === 'SANDBOX_READY',
    );
    const running = [...store.containers.values()].find(
      (c) => c.podSandboxId === sandbox?.id && c.finishedAt === undefined && c.hostPid,
    );
    const pid = running?.hostPid;
    assert.ok(pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('app.js'), 'the kubia process of kubia-b');
    process.kill(Number(pid), 'SIGKILL');
    await eventually(
      async () =>
        (await kubectl(['get', 'pod', 'kubia-b', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']))
          .stdout === '1'
          ? true
          : undefined,
      30_000,
    );
    const prev = await kubectl(['logs', 'kubia-b', '--previous']);
    assert.equal(prev.exitCode, 0, prev.stderr);
    assert.match(prev.stdout, /Received request from/);
  });

  // The ephemeral container is made by the node's CRI runtime from the busybox image inside the pod's
  // sandbox, in the target container's PID namespace (--target), under a terminal the runtime's
  // exec console holds; kubectl debug -it attaches to it.
  test('kubectl debug -it --target with an ephemeral busybox; its status and logs', async () => {
    // The keys arrive once kubectl has attached to the shell the kubelet started.
    const typed = `(sleep 8; printf 'echo debug-$((6*7)); ps -o pid,args; exit\\r') | script -qfec '${KUBECTL} debug -it tools --profile=general --image=busybox --target=netshoot -c dbg -- sh' /dev/null`;
    const r = await execa('bash', ['-c', typed], { env: { KUBECONFIG: kubeconfig }, reject: false, timeout: 60_000 });
    assert.match(r.stdout, /debug-42/);
    // busybox's ps sees the target's processes: netshoot's `sleep infinity` is its PID 1.
    assert.match(r.stdout, /\n\s*1 sleep infinity/);
    const st = await eventually(async () => {
      const s = (
        await kubectl([
          'get',
          'pod',
          'tools',
          '-o',
          'jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}',
        ])
      ).stdout;
      return s === '' ? undefined : s;
    }, 20_000);
    assert.equal(st, '0');
    assert.match((await kubectl(['logs', 'tools', '-c', 'dbg'])).stdout, /debug-42/);
  });

  // A container started with stdin: true reads a FIFO it holds itself (the CRI runtime's stdin pipe,
  // as conmon's); attach -i writes into it. Detaching does not end its input: a second attach works.
  test('kubectl attach -i (and client-node Attach) to a container started with stdin', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'reader' },
      spec: {
        nodeName: 'node5',
        containers: [
          {
            name: 'reader',
            image: 'busybox',
            stdin: true,
            command: ['sh', '-c', 'while read l; do echo got-$l; done; echo stdin-ended'],
          },
        ],
      },
    });
    assert.equal((await kubectl(['apply', '-f', '-'], {}, manifest)).exitCode, 0);
    await eventually(
      async () =>
        (await kubectl(['get', 'pod', 'reader', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running'
          ? true
          : undefined,
      90_000,
    );
    for (const word of ['first', 'second']) {
      const attach = execa(KUBECTL, ['attach', '-i', 'reader'], {
        env: { KUBECONFIG: kubeconfig },
        reject: false,
        input: `${word}\n`,
      });
      let out = '';
      attach.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await eventually(async () => (out.includes(`got-${word}`) ? true : undefined), 20_000);
      attach.kill('SIGINT');
      await attach;
    }
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const out = collect();
    const input = new PassThrough();
    const ws = await new Attach(kc).attach('default', 'reader', 'reader', out.stream, null, input, false);
    input.write('third\n');
    await eventually(async () => (out.text().includes('got-third') ? true : undefined), 20_000);
    ws.close();
    assert.doesNotMatch((await kubectl(['logs', 'reader'])).stdout, /stdin-ended/);
    await kubectl(['delete', 'pod', 'reader', '--wait=false']);
  });

  test('nodes/proxy reaches the kubelet; the kubelet refuses anonymous callers itself', async () => {
    assert.equal((await kubectl(['get', '--raw', '/api/v1/nodes/node5/proxy/healthz'])).stdout, 'ok');
    const pods = JSON.parse((await kubectl(['get', '--raw', '/api/v1/nodes/node5/proxy/pods'])).stdout) as {
      items: { metadata: { name: string } }[];
    };
    assert.ok(pods.items.some((p) => p.metadata.name === 'tools'));
    const summary = JSON.parse((await kubectl(['get', '--raw', '/api/v1/nodes/node5/proxy/stats/summary'])).stdout) as {
      pods: { podRef: { name: string }; memory: { workingSetBytes: number } }[];
    };
    assert.ok(summary.pods.find((p) => p.podRef.name === 'kubia-b')!.memory.workingSetBytes > 0);
    const anon = await lab.exec(lab.pod('tools'), [
      'curl',
      '-sk',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'https://10.231.209.117:10250/pods',
    ]);
    assert.equal(anon.stdout, '401');
  });

  test("kubectl top nodes|pods: metrics.k8s.io from the kubelets' figures, non-zero", async () => {
    const nodes = await kubectl(['top', 'nodes', '--no-headers']);
    assert.equal(nodes.exitCode, 0, nodes.stderr);
    const node5 = nodes.stdout
      .split('\n')
      .find((l) => l.startsWith('node5'))!
      .split(/\s+/);
    assert.ok(parseInt(node5[3]!, 10) > 0, `node5 memory ${node5[3]}`);
    // Load kubia-b for a few seconds; the next window shows its CPU.
    const load = lab.exec(lab.pod('tools'), [
      'bash',
      '-c',
      'end=$((SECONDS+4)); while ((SECONDS < end)); do curl -s -o /dev/null 192.168.132.73:8080; done',
    ]);
    await new Promise((r) => setTimeout(r, 2500));
    const pods = await kubectl(['top', 'pods', '--no-headers']);
    await load;
    assert.equal(pods.exitCode, 0, pods.stderr);
    const kubia = pods.stdout
      .split('\n')
      .find((l) => l.startsWith('kubia-b'))!
      .split(/\s+/);
    assert.ok(parseInt(kubia[1]!, 10) > 0, `kubia-b cpu ${kubia[1]}`);
    assert.ok(parseInt(kubia[2]!, 10) > 0, `kubia-b memory ${kubia[2]}`);
    const client = new KubeConfig();
    client.loadFromFile(kubeconfig);
    const m = await new Metrics(client).getPodMetrics('default');
    assert.ok(m.items.some((p) => p.metadata.name === 'kubia-b' && p.containers.length === 1));
  });

  test('@kubernetes/client-node: Exec (status with exit code), PortForward, Log', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const out = collect();
    const status = await new Promise<V1Status>((resolve, reject) => {
      void new Exec(kc)
        .exec(
          'default',
          'tools',
          'netshoot',
          ['sh', '-c', 'echo from-client-node; exit 2'],
          out.stream,
          null,
          null,
          false,
          (s) => resolve(s),
        )
        .catch(reject);
    });
    assert.equal(out.text(), 'from-client-node\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message, '2');
    // PortForward: a local server hands each connection to the kubelet's WebSocket protocol.
    const pf = new PortForward(kc);
    const server = createServer((sock) => void pf.portForward('default', 'kubia-b', [8080], sock, null, sock));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = await execa('curl', ['-s', '--max-time', '5', '-H', 'Connection: close', `http://127.0.0.1:${port}/`], {
        reject: false,
      });
      assert.match(c.stdout, /You've hit kubia-b/);
    } finally {
      server.close();
    }
    const logs = collect();
    const req = await new Log(kc).log('default', 'kubia-b', 'kubia', logs.stream, { tailLines: 5 });
    await eventually(async () => (logs.text().includes('Received request') ? true : undefined), 10_000);
    req.abort();
  });
});

function collect(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
