// The lab's own image registry: Debian's docker-registry (distribution 2.8) running inside a lab
// network namespace on a lab address (never in the host's), with filesystem storage in the lab's
// state, and a socat relay from a Unix socket in that state folder so kubewire's own processes
// (in the host namespace) reach it without any route into the lab. The built-in images are
// copied into it with skopeo from the OCI store; pulls then go mirror-first (docker.io → here).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { isIpv4 } from '../../common/net/ipv4.js';
import { isNamespaceName } from '../../common/names.js';
import { parseImageRef } from './image-ref.js';
import type { RegistryEndpoint } from './registry-client.js';

export class LabRegistryError extends KubewireError {}

/**
 * How the registry's two processes are started. A lab passes one backed by native-scripts/
 * proc-start.sh and proc-stop.sh (the namespace then must carry the lab's mark), so the processes
 * join the lab's cgroup and reset ends them even after a crash; tests use children.
 */
export interface RegistryProcesses {
  start(netns: string, log: string, argv: string[]): Promise<{ stop(): Promise<void> }>;
}

/** Children of this process (tests, one-off use): they do not outlive a kill -9 of it cleanly. */
export const childProcesses = (log: (line: string) => void): RegistryProcesses => ({
  async start(netns, _log, argv) {
    const p = execa('ip', ['netns', 'exec', netns, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
      buffer: false,
      reject: false,
    });
    p.stderr.on('data', (d: Buffer) => log(`${argv[0]}: ${d.toString().trim()}`));
    // Started or not, its end is the same to the registry: a complaint in the log.
    void p.then((r) => r.failed && !r.isTerminated && log(`${argv[0]}: ${String(r.shortMessage)}`));
    return {
      async stop() {
        if (p.exitCode !== null || p.signalCode !== null) return;
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      },
    };
  },
});

export interface LabRegistryOptions {
  /** Network namespace (a lab's) the registry listens in. */
  netns: string;
  /** Address inside that namespace, e.g. the node network's registry address. */
  address: string;
  port?: number;
  /** Storage, config and the relay socket live here. */
  dir: string;
  /** An htpasswd file (bcrypt) to require Basic authentication. */
  htpasswd?: string;
  /** Bearer-token authentication: tokens from `realm`, signed by a key whose certificate is in `rootCertBundle`. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Storage folder (default `dir`/data); two registries may serve one storage. */
  dataDir?: string;
  log?: (line: string) => void;
  /** Default: children of this process (see childProcesses). */
  processes?: RegistryProcesses;
}

export class LabRegistry {
  private running: { stop(): Promise<void> }[] = [];
  private readonly processes: RegistryProcesses;
  readonly port: number;

  constructor(private readonly opts: LabRegistryOptions) {
    if (!isNamespaceName(opts.netns)) throw new LabRegistryError(`bad namespace name ${opts.netns}`);
    if (!isIpv4(opts.address)) throw new LabRegistryError(`bad registry address ${opts.address}`);
    this.port = opts.port ?? 5000;
    this.processes = opts.processes ?? childProcesses(opts.log ?? (() => {}));
  }

  get host(): string {
    return `${this.opts.address}:${this.port}`;
  }

  get dataDir(): string {
    return this.opts.dataDir ?? join(this.opts.dir, 'data');
  }

  get socketPath(): string {
    return join(this.opts.dir, 'registry.sock');
  }

  endpoint(): RegistryEndpoint {
    return { url: `http://${this.host}`, socketPath: this.socketPath };
  }

  private configYaml(): string {
    const t = this.opts.token;
    const auth = t
      ? `auth:\n  token:\n    realm: ${JSON.stringify(t.realm)}\n    service: ${JSON.stringify(t.service)}\n    issuer: ${JSON.stringify(t.issuer)}\n    rootcertbundle: ${JSON.stringify(t.rootCertBundle)}\n`
      : this.opts.htpasswd
        ? `auth:\n  htpasswd:\n    realm: kubewire-lab\n    path: ${JSON.stringify(this.opts.htpasswd)}\n`
        : '';
    return `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${JSON.stringify(this.dataDir)}\n  delete:\n    enabled: true\nhttp:\n  addr: ${JSON.stringify(this.host)}\n${auth}`;
  }

  async start(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const config = join(this.opts.dir, 'config.yml');
    await writeFile(config, this.configYaml(), { mode: 0o600 });
    await rm(this.socketPath, { force: true });
    const log = join(this.opts.dir, 'registry.log');
    this.running.push(await this.processes.start(this.opts.netns, log, ['docker-registry', 'serve', config]));
    this.running.push(
      await this.processes.start(this.opts.netns, log, [
        'socat',
        `UNIX-LISTEN:${this.socketPath},fork,mode=600`,
        `TCP:${this.host}`,
      ]),
    );
    await this.waitReady();
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last = '';
    while (Date.now() < deadline) {
      // GET /v2/ through the relay's socket, from this process (a curl per try was a fork each).
      last = await new Promise<string>((resolve) => {
        const req = httpRequest({ socketPath: this.socketPath, path: '/v2/', headers: { host: this.host } }, (res) => {
          res.resume();
          resolve(String(res.statusCode ?? ''));
        });
        req.setTimeout(5000, () => req.destroy());
        req.on('error', () => resolve(''));
        req.end();
      });
      if (last === '200' || last === '401') return;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new LabRegistryError(`the lab registry did not answer on ${this.host} (last status ${last || 'none'})`);
  }

  /** True when the registry holds a manifest for the tagged reference (HEAD through the relay). */
  async has(ref: string): Promise<boolean> {
    const r = parseImageRef(ref);
    const accept = [
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ].join(', ');
    const res = await execa(
      'curl',
      [
        '-s',
        '-I',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        `Accept: ${accept}`,
        '--unix-socket',
        this.socketPath,
        `http://${this.host}/v2/${r.repository}/manifests/${r.tag ?? 'latest'}`,
      ],
      { reject: false },
    );
    return res.stdout === '200';
  }

  /** Copies images from the OCI store into the registry under their repository and tag. */
  async push(storeDir: string, refs: string[], creds?: { username: string; password: string }): Promise<void> {
    // Credentials go in a 0600 auth file, never in skopeo's argv.
    const authFile = join(this.opts.dir, 'push-auth.json');
    if (creds)
      await writeFile(
        authFile,
        JSON.stringify({
          auths: { [this.host]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } },
        }),
        { mode: 0o600 },
      );
    try {
      await this.pushEach(storeDir, refs, creds ? authFile : undefined);
    } finally {
      await rm(authFile, { force: true });
    }
  }

  private async pushEach(storeDir: string, refs: string[], authFile?: string): Promise<void> {
    for (const ref of refs) {
      const r = parseImageRef(ref);
      if (!r.tag) throw new LabRegistryError(`push needs a tagged reference: ${ref}`);
      const dest = `docker://${this.host}/${r.repository}:${r.tag}`;
      const args = [
        'netns',
        'exec',
        this.opts.netns,
        'skopeo',
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        ...(authFile ? ['--dest-authfile', authFile] : []),
        `oci:${storeDir}:${ref}`,
        dest,
      ];
      const res = await execa('ip', args, { reject: false, stdin: 'ignore' });
      if (res.exitCode !== 0) throw new LabRegistryError(`skopeo copy ${ref} → ${dest} failed: ${res.stderr.trim()}`);
    }
  }

  async stop(): Promise<void> {
    for (const p of this.running.reverse()) await p.stop();
    this.running = [];
    await rm(this.socketPath, { force: true });
  }
}
