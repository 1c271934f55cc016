// kill -9 soak (`npm run soak`, not part of `npm test`): the lab's crash safety measured.
//  1. KILLS_DURING_UP times: `kubewire up` killed with SIGKILL at a random point (a random phase
//     event it reported, plus a random delay of up to 500 ms), then `kubewire reset`: the lab's
//     prefix must leave nothing (namespaces, marks, /etc/netns, host links, mounts, cgroups,
//     processes, state).
//  2. KILLS_DURING_WRITES times: on a built lab, ConfigMaps are created without pause while the
//     cluster process is killed with SIGKILL after a random delay; `kubewire up` starts it again;
//     every create the apiserver had acknowledged must be there, with its data.
// Finally a reset and the same leftover scan. Prints the figures (with the load average) as JSON.
// Env: SOAK_UP_KILLS (50), SOAK_WRITE_KILLS (50), SOAK_SEED, KUBEWIRE_PREFIX (kw-soak-),
// KUBEWIRE_STATE_DIR (a fresh temporary folder).
import { execa } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KubeClient } from '../../cluster/client/kube-client.js';
import { Resources } from '../../cluster/client/resources.js';
import { readClusterInfo } from '../../cluster/agents/cluster-process.js';
import { parseProgressLine } from '../../common/learner-contract.js';
import type { KubeObject } from '../../common/api-types.js';
import { LabPaths } from '../../runtime/lab/lab-paths.js';
import { projectRoot } from '../../runtime/project-root.js';
import { prefixPattern, scanLeftovers } from '../support/leftovers.js';
import { labTopology, NODE1, NODE2 } from '../helpers/lab-topology.js';

const UP_KILLS = Number(process.env.SOAK_UP_KILLS ?? 50);
const WRITE_KILLS = Number(process.env.SOAK_WRITE_KILLS ?? 50);
const prefix = process.env.KUBEWIRE_PREFIX ?? 'kw-soak-';
const stateBase = process.env.KUBEWIRE_STATE_DIR ?? mkdtempSync(join(tmpdir(), 'kw-soak-'));
const LAB = 'soak';

/** Seeded (mulberry32), so a run can be replayed with SOAK_SEED. */
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
let s = seed >>> 0;
function random(): number {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const TOPOLOGY = labTopology(LAB, [NODE1, NODE2]);
const file = join(stateBase, 'soak.yaml');
const paths = new LabPaths(stateBase, LAB);
const cli = join(projectRoot(), 'dist', 'cli', 'main.js');
const env = { KUBEWIRE_STATE_DIR: stateBase, KUBEWIRE_PREFIX: prefix, KUBEWIRE_APISERVER_PORT: '0' };

const log = (line: string) => console.error(`soak: ${line}`);

function up(progress = false) {
  return execa(process.execPath, [cli, 'up', file], {
    env: { ...env, ...(progress ? { KUBEWIRE_PROGRESS: '1' } : {}) },
    reject: false,
    timeout: 600_000,
  });
}

async function reset(): Promise<void> {
  const r = await execa(process.execPath, [cli, 'reset', '--lab', LAB], { env, reject: false, timeout: 600_000 });
  if (r.exitCode !== 0) throw new Error(`reset failed: ${r.stderr}`);
}

/** What the lab's prefix left: kernel objects, mounts, cgroups, processes (by mark or argv), state. */
function leftovers(): string[] {
  const out = scanLeftovers(prefixPattern(prefix));
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(stateBase) && !a.endsWith('soak.yaml')))
        out.push(`process ${pid}: ${argv.join(' ').slice(0, 120)}`);
    } catch {
      // ended meanwhile
    }
  }
  try {
    if (readdirSync(paths.dir).length) out.push(`state folder ${paths.dir}`);
  } catch {
    // gone: good
  }
  return out;
}

/** Part 1: one `up` killed at a random reported event (+ up to 500 ms); was it still running? */
async function killDuringUp(events: string[]): Promise<{ at: string; unfinished: boolean }> {
  const target = events[Math.floor(random() * events.length)]!;
  const delay = Math.floor(random() * 500);
  const child = up(true);
  let buf = '';
  let seen = false;
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const e = parseProgressLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (!seen && e && `${e.name} ${e.event}` === target) {
        seen = true;
        setTimeout(() => child.kill('SIGKILL'), delay);
      }
    }
  });
  const r = await child;
  return { at: `${target} +${delay} ms`, unfinished: r.signal === 'SIGKILL' };
}

function clientFor(): KubeClient {
  const info = readClusterInfo(paths);
  if (!info) throw new Error('no cluster info');
  const kc = parseYaml(readFileSync(info.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return new KubeClient({
    server: kc.clusters[0]!.cluster.server,
    ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64'),
    token: kc.users[0]!.user.token,
    timeoutMs: 5000,
  });
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** Part 2, one round: writes until the cluster process dies under them; the acknowledged names. */
async function writeAndKill(round: number): Promise<{ acked: Map<string, string>; inFlightAtKill: number }> {
  const info = readClusterInfo(paths)!;
  const client = clientFor();
  const cms = client.resource<ConfigMap>(Resources.configmaps);
  const acked = new Map<string, string>();
  let stop = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  const writer = async (w: number) => {
    for (let j = 0; !stop; j++) {
      const name = `soak-${round}-${w}-${j}`;
      const value = `${seed}/${round}/${w}/${j}`;
      inFlight++;
      try {
        await cms.create(
          { metadata: { name, namespace: 'default', labels: { soak: 'yes' } }, data: { value } },
          'default',
        );
        acked.set(name, value);
      } catch {
        if (stop) return; // refused or cut off by the kill: not acknowledged
      } finally {
        inFlight--;
      }
    }
  };
  const writers = [0, 1, 2, 3].map((w) => writer(w));
  // Kill after a random 0.3–3 s of writing.
  await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 2700)));
  inFlightAtKill = inFlight;
  process.kill(info.pid, 'SIGKILL');
  stop = true;
  await Promise.all(writers);
  client.close();
  return { acked, inFlightAtKill };
}

async function main(): Promise<void> {
  writeFileSync(file, TOPOLOGY);
  const t0 = Date.now();
  const load0 = loadavg();
  log(`seed ${seed}, prefix ${prefix}, state ${stateBase}, load ${load0.map((l) => l.toFixed(1)).join(' ')}`);
  if (leftovers().length) throw new Error(`prefix ${prefix} is in use: ${leftovers().join('; ')}`);

  // The events a full `up` reports (the kill points), from one complete run; then a reset.
  const first = await up(true);
  if (first.exitCode !== 0) throw new Error(`the first up failed: ${first.stderr}`);
  const events = String(first.stderr)
    .split('\n')
    .map(parseProgressLine)
    .filter((e) => e !== undefined)
    .map((e) => `${e.name} ${e.event}`)
    .filter((e) => e !== 'cluster done');
  await reset();

  const upKills = { kills: 0, unfinished: 0, resets: 0, leakedAfterReset: 0, leaks: [] as string[] };
  for (let i = 0; i < UP_KILLS; i++) {
    const k = await killDuringUp(events);
    upKills.kills++;
    if (k.unfinished) upKills.unfinished++;
    await reset();
    upKills.resets++;
    const left = leftovers();
    if (left.length) {
      upKills.leakedAfterReset++;
      upKills.leaks.push(`#${i} (${k.at}): ${left.join('; ')}`);
    }
    log(`up kill ${i + 1}/${UP_KILLS} at ${k.at}${k.unfinished ? '' : ' (up had finished)'}: ${left.length} left`);
  }

  const writes = { kills: 0, acknowledged: 0, lost: 0, wrongData: 0, restarts: 0, lostNames: [] as string[] };
  if (WRITE_KILLS > 0) {
    const built = await up();
    if (built.exitCode !== 0) throw new Error(`up failed: ${built.stderr}`);
    const all = new Map<string, string>();
    for (let round = 0; round < WRITE_KILLS; round++) {
      const { acked, inFlightAtKill } = await writeAndKill(round);
      writes.kills++;
      for (const [k, v] of acked) all.set(k, v);
      const again = await up();
      if (again.exitCode !== 0) throw new Error(`up after kill ${round} failed: ${again.stderr}`);
      writes.restarts++;
      // Every write acknowledged so far, in every round, must still be there.
      const client = clientFor();
      const list = await client
        .resource<ConfigMap>(Resources.configmaps)
        .list({ namespace: 'default', labelSelector: 'soak=yes' });
      client.close();
      const have = new Map(list.items.map((c) => [c.metadata.name!, c.data?.value]));
      const lost = [...all].filter(([k]) => !have.has(k));
      const wrong = [...all].filter(([k, v]) => have.has(k) && have.get(k) !== v);
      writes.lost = lost.length;
      writes.wrongData = wrong.length;
      writes.lostNames = lost.slice(0, 10).map(([k]) => k);
      log(
        `write kill ${round + 1}/${WRITE_KILLS}: ${acked.size} acknowledged this round (${inFlightAtKill} in flight at the kill), ${all.size} in all, ${lost.length} lost, ${wrong.length} wrong`,
      );
    }
    writes.acknowledged = all.size;
  }

  await reset();
  const final = leftovers();
  const figures = {
    seed,
    prefix,
    upKills: { ...upKills, of: UP_KILLS },
    writeKills: { ...writes, of: WRITE_KILLS },
    leftoversAfterFinalReset: final,
    minutes: Math.round((Date.now() - t0) / 600) / 100,
    loadAverage: { start: load0.map((l) => +l.toFixed(1)), end: loadavg().map((l) => +l.toFixed(1)) },
  };
  console.log(JSON.stringify(figures, null, 2));
  if (!process.env.KUBEWIRE_STATE_DIR) rmSync(stateBase, { recursive: true, force: true });
  const ok = upKills.leakedAfterReset === 0 && writes.lost === 0 && writes.wrongData === 0 && final.length === 0;
  process.exitCode = ok ? 0 : 1;
}

main().catch(async (err) => {
  console.error(`soak: ${(err as Error).stack ?? err}`);
  await reset().catch(() => undefined);
  process.exitCode = 2;
});
