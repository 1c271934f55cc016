#!/usr/bin/env node
// Installs what a fresh Debian 12 machine lacks (Debian packages, npm packages, native addons,
// the compiled project) before `npm start`, `npm test` or `npm run bench` does its job.
// Dependency-free on purpose: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, renameSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = parsePurpose(process.argv.slice(2));

/** `--for start|test|bench` (default start); anything else is refused before anything is done. */
function parsePurpose(args) {
  const usage = 'usage: node scripts/bootstrap.mjs [--for start|test|bench]';
  let values;
  try {
    ({ values } = parseArgs({ args, options: { for: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    console.error(`kubewire bootstrap: ${err.message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const p = values.for ?? 'start';
  if (!['start', 'test', 'bench'].includes(p)) {
    console.error(`kubewire bootstrap: --for ${JSON.stringify(p)} is not start, test or bench\n${usage}`);
    process.exit(2);
  }
  return p;
}

// What every purpose needs: the lab's kernel tooling, and a compiler for the native addons and pause.
const RUNTIME_PACKAGES = [
  'iproute2',
  'iptables',
  'conntrack',
  'iputils-ping',
  'traceroute',
  'tcpdump',
  'curl',
  'containernetworking-plugins',
  'procps',
  'psmisc',
  'util-linux',
  'openssl',
  'dnsutils',
  // socat: each node's relay to the apiserver's Unix socket; bridge-utils: `brctl`, as the article types it.
  'socat',
  'bridge-utils',
  'gcc',
  'g++',
  'make',
  'python3',
  // The container runtime: crun (runc where crun is missing) runs pods and nodes' containers.
  'crun',
  'runc',
  // The image store: built-in images from Debian packages (mmdebstrap), overlayfs whiteouts
  // (setfattr from attr), the lab's own registry and copying images into it.
  'mmdebstrap',
  'attr',
  'docker-registry',
  'skopeo',
  // The article's `brctl show`, and `nft` for kube-proxy's nftables mode (table ip kube-proxy).
  'bridge-utils',
  'nftables',
  // The apiserver's store as an etcd cluster (topology controlPlane.store kind etcd; the dns-and-ha
  // lab): the members and `etcdctl`.
  'etcd-server',
  'etcd-client',
];
const EXTRA_PACKAGES = {
  start: [],
  test: ['chromium', 'shellcheck', 'xvfb', 'busybox-static'],
  bench: [],
};

function fail(message) {
  console.error(`kubewire: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}

function checkRoot() {
  if (process.platform !== 'linux') fail('kubewire runs on Linux only (it builds network namespaces).');
  if (process.getuid && process.getuid() !== 0) {
    fail(
      `this needs root, because it creates network namespaces and runs apt-get: run it as 'sudo npm ${purpose === 'start' ? 'start' : purpose === 'test' ? 'test' : 'run bench'}'.`,
    );
  }
}

function missingDebianPackages(names) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout || '')
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function ensureDebianPackages() {
  const wanted = [...RUNTIME_PACKAGES, ...(EXTRA_PACKAGES[purpose] ?? [])];
  const missing = missingDebianPackages(wanted);
  if (missing.length === 0) return;
  console.error(`kubewire: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update'], { env }) !== 0) fail('apt-get update failed (see above).');
  if (run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env }) !== 0) {
    fail(`apt-get install failed for: ${missing.join(' ')}`);
  }
  const still = missingDebianPackages(missing);
  if (still.length) fail(`Debian packages still missing after apt-get: ${still.join(' ')}`);
  // Debian starts docker-registry as a service on :5000 of the host; kubewire runs its own
  // registry inside a lab namespace, so the host's is stopped and kept off.
  if (missing.includes('docker-registry') && existsSync('/run/systemd/system')) {
    run('systemctl', ['disable', '--now', 'docker-registry.service']);
  }
}

// kubectl for lab terminals (the article types it) and the tests: the official release, its
// published sha256 checked. Where it cannot be had (no Internet), one line says so and we go on.
const KUBECTL_VERSION = 'v1.32.4';
const KUBECTL_TARGET = '/usr/local/bin/kubectl';

function kubectlOnPath() {
  return (
    existsSync('/usr/bin/kubectl') || spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0
  );
}

async function ensureKubectl() {
  if (kubectlOnPath()) return;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  const url = `https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl`;
  try {
    if (!arch) throw new Error(`no kubectl release for ${process.arch}`);
    const get = async (u) => {
      const r = await fetch(u, { signal: AbortSignal.timeout(120_000) });
      if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
      return Buffer.from(await r.arrayBuffer());
    };
    const want = (await get(`${url}.sha256`)).toString('utf8').trim().split(/\s+/)[0];
    const bin = await get(url);
    const got = createHash('sha256').update(bin).digest('hex');
    if (!/^[0-9a-f]{64}$/.test(want ?? '') || got !== want)
      throw new Error(`sha256 mismatch (published ${want}, downloaded ${got})`);
    writeFileSync(`${KUBECTL_TARGET}.tmp`, bin, { mode: 0o755 });
    chmodSync(`${KUBECTL_TARGET}.tmp`, 0o755);
    renameSync(`${KUBECTL_TARGET}.tmp`, KUBECTL_TARGET);
    console.error(
      `kubewire: installed kubectl ${KUBECTL_VERSION} at ${KUBECTL_TARGET} (sha256 ${got.slice(0, 12)}… checked)`,
    );
  } catch (err) {
    console.error(
      `kubewire: kubectl is missing and could not be installed from ${url} (${err.cause?.code ?? err.message}); lab terminals will lack it and the kubectl tests will fail`,
    );
  }
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNpmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(marker) || mtime(join(root, 'package.json')) > mtime(marker) || mtime(lock) > mtime(marker);
  if (stale) {
    console.error('kubewire: installing npm packages');
    const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
    if (run('npm', args) !== 0) fail(`npm ${args[0]} failed (see above).`);
  }
  // npm 11 may warn that native install scripts are not covered by allowScripts; make sure they ran.
  const probe = (mods) =>
    spawnSync(process.execPath, ['-e', mods.map((m) => `require(${JSON.stringify(m)})`).join(';')], {
      cwd: root,
      encoding: 'utf8',
    });
  const natives = ['better-sqlite3', 'node-pty'];
  let r = probe(natives);
  if (r.status !== 0) {
    console.error('kubewire: native addons did not load; rebuilding better-sqlite3 and node-pty from source');
    if (run('npm', ['rebuild', ...natives]) !== 0) fail('npm rebuild of native addons failed (see above).');
    r = probe(natives);
    if (r.status !== 0) fail(`native addons still do not load after a rebuild:\n${r.stderr}`);
  }
}

function newestSource(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, mtime(p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

function ensureBuild() {
  const stamp = join(root, 'dist', '.build-stamp');
  const sources = [
    'cli',
    'runtime',
    'cluster',
    'server',
    'common',
    'electron',
    'renderer',
    'test',
    'bench',
    'native',
    'scripts',
  ].map((d) => newestSource(join(root, d)));
  const newest = Math.max(...sources, mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package.json')));
  if (existsSync(stamp) && mtime(stamp) >= newest) return;
  if (run(process.execPath, [join(root, 'scripts', 'build.mjs')]) !== 0) fail('the build failed (see above).');
}

checkRoot();
ensureDebianPackages();
ensureNpmPackages();
ensureBuild();
await ensureKubectl();
