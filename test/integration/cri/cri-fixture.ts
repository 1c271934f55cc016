// Test-only: a node container and a one-layer busybox image made from the host's static busybox
// (Debian's busybox-static), presented in the ResolvedImage shape the image store gives, so the
// runtime layer is tested on real containers without depending on the image store.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedImage } from '../../../runtime/images/image-service.js';
import { Cgroups } from '../../../runtime/cri/cgroups.js';
import { CrunRuntimeService } from '../../../runtime/cri/crun-runtime-service.js';
import { NodeContainer } from '../../../runtime/cri/node-container.js';
import { OciRuntime, pickOciRuntime } from '../../../runtime/cri/oci-runtime.js';
import { NetnsDriver } from '../../../runtime/host/netns-driver.js';
import { nodeInitBinary, pauseBinary, scriptsDir } from '../../../runtime/project-root.js';

export const BUSYBOX_APPLETS = [
  'sh',
  'sleep',
  'ps',
  'cat',
  'echo',
  'ls',
  'hostname',
  'id',
  'head',
  'dd',
  'true',
  'false',
  'env',
  'pwd',
  'touch',
  'wc',
  'grep',
  'kill',
  'nslookup',
  'wget',
  'ip',
  'mount',
];

export function busyboxImage(base: string): ResolvedImage {
  const layer = join(base, 'layers', 'busybox');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(layer, d), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(layer, 'bin', 'busybox'));
  for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(layer, 'bin', a));
  writeFileSync(join(layer, 'etc', 'os-release'), 'NAME="kubewire test busybox"\nID=kwtest\n');
  writeFileSync(
    join(layer, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(layer, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return {
    ref: 'docker.io/library/busybox:test',
    digest: `sha256:${'1'.repeat(64)}`,
    id: `sha256:${'2'.repeat(64)}`,
    layers: [layer],
    config: { cmd: ['sh'], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
    size: 1,
  };
}

/** A network namespace + node container + runtime, under a unique prefix; cleanup always works. */
export class CriFixture {
  readonly prefix = `kw-t${randomBytes(3).toString('hex')}-`;
  readonly base = mkdtempSync(join(tmpdir(), 'kubewire-cri-'));
  readonly driver = new NetnsDriver(scriptsDir());
  readonly netns = `${this.prefix}node1`;
  readonly node: NodeContainer;
  readonly runtime: CrunRuntimeService;
  readonly image: ResolvedImage;
  readonly cgroups = new Cgroups();

  constructor(opts: { memoryBytes?: number } = {}) {
    const state = join(this.base, 'node1');
    this.node = new NodeContainer(this.driver, {
      prefix: this.prefix,
      node: 'node1',
      netns: this.netns,
      initBinary: nodeInitBinary(),
      stateDir: state,
      memoryBytes: opts.memoryBytes ?? 2 * 1024 ** 3,
      cpuMilli: 2000,
      pids: 4096,
    });
    const oci = new OciRuntime(pickOciRuntime(), join(state, 'oci'), this.node, scriptsDir());
    this.runtime = new CrunRuntimeService({
      driver: this.driver,
      node: this.node,
      oci,
      cgroups: this.cgroups,
      stateDir: join(state, 'cri'),
      pauseBinary: pauseBinary(),
    });
    this.image = busyboxImage(this.base);
  }

  async start(): Promise<void> {
    await this.driver.script('netns-up.sh', [this.prefix, this.netns]);
    await this.node.ensure();
  }

  /** A pod network namespace (no CNI: loopback only), as the sandbox's netns. */
  async podNetns(name: string): Promise<string> {
    const ns = `${this.prefix}${name}`;
    await this.driver.script('netns-up.sh', [this.prefix, ns]);
    return `/run/netns/${ns}`;
  }

  sandboxConfig(
    name: string,
    netnsPath: string,
    extra: Partial<import('../../../runtime/cri/cri-types.js').PodSandboxConfig> = {},
  ) {
    return {
      name,
      namespace: 'default',
      uid: randomBytes(8).toString('hex'),
      hostname: name,
      netnsPath,
      etc: {
        hosts: `127.0.0.1 localhost\n10.0.0.9 ${name}\n`,
        resolvConf: 'nameserver 192.168.192.10\nsearch default.svc.cluster.local\n',
        hostname: `${name}\n`,
      },
      logDirectory: join(this.base, 'logs', name),
      ...extra,
    };
  }

  async cleanup(): Promise<void> {
    try {
      await this.driver.script('node-sweep.sh', [this.prefix]);
      await this.driver.script('sweep.sh', [this.prefix]);
    } finally {
      rmSync(this.base, { recursive: true, force: true });
    }
  }
}
