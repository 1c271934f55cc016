// Every command the article prints (labs/article-commands.yaml), run in order on the default lab
// built by `kubewire up` (its own prefix and state folder; the cluster daemon included), each in its
// place, each output checked against what must appear. Entries the lab cannot run yet are
// `pending` with a reason: they are counted and printed, never passed silently; a stated equivalent
// they carry is still run and checked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadArticleCommands, type ArticleCommand } from '../../../runtime/guide/article-commands.js';
import { nodeInitPid } from '../../../runtime/cri/node-marks.js';
import { defaultTopology, projectRoot } from '../../../runtime/project-root.js';
import { eventually, namespacesWithPrefix, TestLab } from '../runtime/harness.js';

const data = loadArticleCommands(join(projectRoot(), 'labs', 'article-commands.yaml'));
let lab: TestLab;
let kubeconfig = '';
const work = mkdtempSync(join(tmpdir(), 'kubewire-article-'));
const env = () => ({
  CONTAINER: `${lab.prefix}demo`,
  WORK: work,
  PREFIX: lab.prefix,
  KUBECONFIG: kubeconfig,
  PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
});

function namespaceOf(where: string): string | undefined {
  if (where === 'kubectl') return undefined;
  if (where.startsWith('pod:')) {
    const [ns, name] = where.slice(4).split('/') as [string, string];
    return lab.names.pod(ns, name);
  }
  if (where === 'internet') return lab.names.internet;
  if (where === 'gateway') return lab.names.gateway;
  return lab.names.node(where);
}

/**
 * `bash -c` in the entry's place: inside its namespace with `ip netns exec`, in the node's container
 * (shell: node-container, where a node terminal is: its own processes, crictl and docker), or on
 * the host.
 */
function runIn(where: string, script: string, cwd?: string, shell?: 'node-container') {
  const ns = namespaceOf(where);
  const init = shell && ns ? nodeInitPid(ns) : undefined;
  if (shell && !init) throw new Error(`node container of ${where} is not running`);
  const argv = init
    ? (['nsenter', ['-t', String(init), '-m', '-u', '-i', '-n', '-p', '--', 'bash', '-c', script]] as const)
    : ns
      ? (['ip', ['netns', 'exec', ns, 'bash', '-c', script]] as const)
      : (['bash', ['-c', script]] as const);
  return execa(argv[0], [...argv[1]], {
    env: env(),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    ...(cwd ? { cwd } : {}),
  });
}

before(async () => {
  const file = defaultTopology();
  lab = new TestLab(readFileSync(file, 'utf8'), file);
  const up = await lab.cli(['up', file], { timeoutMs: 180_000 });
  assert.equal(up.exitCode, 0, `kubewire up failed:\n${up.stdout}\n${up.stderr}`);
  kubeconfig = (await lab.cli(['kubeconfig'])).stdout.trim();
  // The cluster makes the kubia pods after up returns: wait until all six answer.
  await eventually(async () => {
    const r = await execa('kubectl', ['get', 'deploy', 'kubia', '-o', 'jsonpath={.status.availableReplicas}'], {
      env: { KUBECONFIG: kubeconfig },
      reject: false,
    });
    return r.stdout.trim() === '6' ? true : undefined;
  }, 120_000);
  await eventually(async () => {
    const r = await execa('ip', ['netns', 'exec', lab.pod('tools'), 'curl', '-s', '-m', '2', '192.168.199.234:8080'], {
      reject: false,
    });
    return /You've hit kubia-/.test(r.stdout) ? true : undefined;
  }, 30_000);
});

after(async () => {
  try {
    for (const c of data.cleanup) await runIn(c.where, c.run);
  } finally {
    await lab.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
  assert.deepEqual(namespacesWithPrefix(lab.prefix), []);
});

const counts = { verbatim: 0, equivalent: 0, pending: [] as string[] };

async function runEntry(c: ArticleCommand): Promise<void> {
  const cwd = c.cwd === 'node-dir' ? lab.paths.node(c.where) : undefined;
  if (c.setup) await runIn(c.where, c.setup, cwd, c.shell);
  const r = await runIn(c.where, c.run, cwd, c.shell);
  const shown = `${c.id}: ${c.run}\n(exit ${r.exitCode})\n${r.stdout}\n${r.stderr}`;
  if (c.fails) assert.notEqual(r.exitCode, 0, `expected it to fail\n${shown}`);
  else assert.equal(r.exitCode, 0, shown);
  for (const re of c.expect) assert.match(r.stdout, re, `${c.id}: ${re} not in the output\n${shown}`);
}

for (const c of data.commands) {
  test(`${c.id}: ${c.article}`, async (t) => {
    if (c.pending) {
      counts.pending.push(`${c.id}: ${c.pending}`);
      t.diagnostic(`pending: ${c.pending}`);
      // A stated equivalent still runs and is checked (it is what the guided labs use today).
      if (c.run !== c.article && c.where) {
        await runEntry(c);
        t.diagnostic(`ran its equivalent instead: ${c.run}`);
      }
      return;
    }
    await runEntry(c);
    if (c.verbatim) counts.verbatim++;
    else counts.equivalent++;
  });
}

test('summary: how many ran verbatim, how many as a stated equivalent, how many are pending', (t) => {
  const line = `article commands: ${counts.verbatim} verbatim, ${counts.equivalent} stated equivalents, ${counts.pending.length} pending`;
  t.diagnostic(line);
  for (const p of counts.pending) t.diagnostic(`  pending ${p}`);
  console.log(line);
  assert.equal(counts.verbatim + counts.equivalent + counts.pending.length, data.commands.length);
});
