// 1,000 malformed topology files through `kubewire up --dry-run`, every check `up` makes before its
// first kernel change (seeded; KUBEWIRE_FUZZ_SEED reproduces a run): the labs' own topologies with
// fields replaced, removed and added, truncated, random bytes, YAML nested thousands deep, alias
// bombs, tabs and duplicate keys, oversized labs. Each file is either valid or refused with a
// ValidationError naming the file; nothing else may escape (a crash), and nothing is created: no
// state, no namespace of the lab prefix, the host's namespaces, links and mounts as before. A
// sample also runs through the real CLI process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { up } from '../../../cli/commands/up.js';
import { ValidationError } from '../../../common/errors.js';
import { fuzzSeed, junkValue, mutate, oddString, Rng } from '../../helpers/fuzz.js';
import { hostChanges, hostSnapshot, objectsWithPrefix } from '../../helpers/host-snapshot.js';

const FILES = Number(process.env.KUBEWIRE_FUZZ_TOPOLOGIES ?? 1_000);
const CLI_SAMPLE = 6;
const SEED = fuzzSeed(20261204);
const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const prefix = `kw-t${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(join(tmpdir(), 'kubewire-topology-fuzz-'));
const stateDir = join(dir, 'state');

after(() => (process.env.KUBEWIRE_FUZZ_KEEP ? console.log(dir) : rmSync(dir, { recursive: true, force: true })));

function labTopologies(): { name: string; value: Record<string, unknown> }[] {
  const labs = join(root, 'labs');
  const files = [join(labs, 'topologies', 'article.yaml')];
  for (const d of readdirSync(labs, { withFileTypes: true }))
    if (d.isDirectory() && existsSync(join(labs, d.name, 'topology.yaml')))
      files.push(join(labs, d.name, 'topology.yaml'));
  return files.map((f) => ({ name: f, value: parse(readFileSync(f, 'utf8')) as Record<string, unknown> }));
}

function manyNodes(n: number, podsEach: number): Record<string, unknown> {
  return {
    apiVersion: 'kubewire.io/v1alpha1',
    kind: 'Topology',
    name: 'big',
    nodeNetwork: '10.0.0.0/8',
    podNetwork: '172.16.0.0/12',
    nodes: Array.from({ length: n }, (_, i) => ({
      name: `n${i}`,
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 1}`,
      pods: Array.from({ length: podsEach }, (_, j) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}-${j}`, namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'kubia' }] },
      })),
    })),
  };
}

function topologyText(r: Rng, samples: { value: Record<string, unknown> }[]): string {
  const sample = r.pick(samples).value;
  // Three in four are the labs' own files with fields changed; the rest are the shapes that broke parsers.
  switch (r.int(40)) {
    case 0:
      return stringify(sample).slice(0, r.int(stringify(sample).length));
    case 1:
      return Buffer.from(Array.from({ length: r.int(400) }, () => r.int(256))).toString('latin1');
    case 2:
      return `name: deep\nnodes: ${'['.repeat(r.pick([150, 250, 5000, 20_000]))}`;
    case 3:
      return `name: deep\nnodes:\n${'  - '.repeat(r.pick([150, 250, 3000]))}x\n`;
    case 4: {
      // A "billion laughs": each level refers to the one above ten times.
      const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++)
        lines.push(
          `a${i}: &a${i} [${Array(10)
            .fill(`*a${i - 1}`)
            .join(', ')}]`,
        );
      return `${lines.join('\n')}\nname: bomb\nnodes: *a8\n`;
    }
    case 5:
      return stringify(sample).replace(/^( +)/gm, (s) => (r.chance(0.1) ? '\t' + s.slice(1) : s));
    case 6:
      return `${stringify(sample)}\nname: again\nnodes: []\n`;
    case 7:
      // Over the limits (labs/README.md): nodes, pods per lab, pods on one node's /24.
      return stringify(r.pick([manyNodes(65, 0), manyNodes(300, 0), manyNodes(2, 501), manyNodes(1, 300)]));
    case 8:
      return stringify({
        ...sample,
        prefix: r.pick(['', 'kw-', 'kw', 'kw--', 'kw-a', 'x-', 'kw-UPPER-', oddString(r)]),
      });
    case 9:
      return stringify(junkValue(r)) ?? '';
    default: {
      let o: unknown = sample;
      for (let i = 0, n = 1 + r.int(3); i < n; i++) o = mutate(r, o);
      return stringify(o) ?? '';
    }
  }
}

/** `up --dry-run` in this process, its stdout captured. */
async function dryRun(args: string[]): Promise<{ code: number; out: string }> {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  try {
    return { code: await up(['--dry-run', '--json', '--state-dir', stateDir, ...args]), out };
  } finally {
    console.log = log;
  }
}

test(
  `${FILES} malformed topology files through up --dry-run: valid or a ValidationError, nothing created (seed ${SEED})`,
  { timeout: 300_000 },
  async () => {
    const before = hostSnapshot(prefix);
    const samples = labTopologies();
    assert.ok(samples.length >= 5, 'the labs ship topologies to start from');
    const r = new Rng(SEED);
    const failures: string[] = [];
    const outcome = { valid: 0, refused: 0 };
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = join(dir, `t${i}.yaml`);
      writeFileSync(file, topologyText(r, samples));
      files.push(file);
      // Half with the test's prefix (anything built would carry it), half with the file's own.
      const args = r.chance(0.5) ? ['--prefix', prefix, file] : [file];
      try {
        const res = await dryRun(args);
        const summary = JSON.parse(res.out) as { dryRun?: boolean };
        if (res.code !== 0 || summary.dryRun !== true) failures.push(`#${i} ${file}: exit ${res.code}, ${res.out}`);
        outcome.valid++;
      } catch (err) {
        if (err instanceof ValidationError && err.where.startsWith(file)) outcome.refused++;
        else
          failures.push(
            `#${i} ${file}: ${(err as Error)?.constructor?.name}: ${String((err as Error)?.message ?? err).slice(0, 300)}`,
          );
      }
    }
    console.log(`topology fuzz seed ${SEED}: ${FILES} files, ${JSON.stringify(outcome)}`);
    assert.deepEqual(
      failures.slice(0, 20),
      [],
      `${failures.length} files escaped validation (KUBEWIRE_FUZZ_SEED=${SEED} reproduces)`,
    );
    assert.ok(outcome.valid > 0 && outcome.refused > 0, 'the fuzz reaches both outcomes');

    // A sample through the real command line: the same answers, as exit codes and one line.
    for (let i = 0; i < CLI_SAMPLE; i++) {
      const file = files[Math.floor((i * files.length) / CLI_SAMPLE)]!;
      const res = await execa(
        process.execPath,
        [join(root, 'bin', 'kubewire.js'), 'up', '--dry-run', '--state-dir', stateDir, '--prefix', prefix, file],
        { env: { KUBEWIRE_DEBUG: '' }, reject: false },
      );
      if (res.exitCode === 0) assert.match(res.stdout, /--dry-run: nothing was created/, file);
      else {
        assert.equal(res.exitCode, 1, `${file}: ${res.stderr}`);
        assert.match(
          res.stderr,
          new RegExp(`^kubewire: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
          'the error names the file',
        );
        assert.doesNotMatch(res.stderr, /\n\s+at |TypeError|RangeError|ReferenceError/, 'no stack trace, no crash');
      }
    }

    assert.equal(existsSync(stateDir), false, 'no lab state written');
    assert.deepEqual(objectsWithPrefix(prefix), [], 'no kernel object of the test prefix');
    assert.deepEqual(hostChanges(before, hostSnapshot(prefix)), [], 'namespaces, root links and mounts unchanged');
  },
);
