// The built-in images: what each one contains and the names it answers to. Each is built offline
// from Debian packages (the machine's apt mirror) or from this project's own programs, with the
// config its upstream namesake has (Entrypoint/Cmd/Env/WorkingDir/User/ExposedPorts/StopSignal).
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { KubewireError } from '../../common/errors.js';
import { debootstrap, downloadDebs, extractDeb, type ProgressLine } from './debian-rootfs.js';
import type { ImageConfig } from './image-service.js';

export class BuiltinBuildError extends KubewireError {}

export interface BuildContext {
  /** A scratch folder, removed after the build. */
  workDir: string;
  progress: ProgressLine;
  pauseBinary: string;
  kubiaScript: string;
}

export interface BuiltinRecipe {
  name: string;
  /** Bump when what the recipe makes changes: a cached image of an older version is rebuilt. */
  version: number;
  /** Repositories (normalised, no tag) this built-in answers to, with any tag; the first is its own. */
  repositories: string[];
  /** The tag of its own name (default latest): pause is registry.k8s.io/pause:3.10 as kubelet 1.32 expects. */
  tag?: string;
  config: ImageConfig;
  /** Fills `rootfs`, an empty folder. */
  build(rootfs: string, ctx: BuildContext): Promise<void>;
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** True when the ELF file has no PT_INTERP program header (needs no dynamic loader). */
export async function isStaticElf(path: string): Promise<boolean> {
  const b = await readFile(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false; // ELF, 64-bit
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

async function skeleton(
  rootfs: string,
  opts: { passwd?: string; group?: string; osRelease?: string } = {},
): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home', 'var', 'proc', 'sys', 'dev', 'run']) {
    await mkdir(join(rootfs, d), { recursive: true, mode: 0o755 });
  }
  await chmod(join(rootfs, 'root'), 0o700);
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await writeFile(
    join(rootfs, 'etc/passwd'),
    opts.passwd ?? 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  await writeFile(join(rootfs, 'etc/group'), opts.group ?? 'root:x:0:\nnogroup:x:65534:\n');
  if (opts.osRelease) await writeFile(join(rootfs, 'etc/os-release'), opts.osRelease);
}

/** Makes Debian's log files the container's stdout/stderr, as the official nginx image does. */
async function nginxLogsToStdio(rootfs: string): Promise<void> {
  const logs = join(rootfs, 'var/log/nginx');
  await mkdir(logs, { recursive: true });
  await execa('rm', ['-f', '--', join(logs, 'access.log'), join(logs, 'error.log')]);
  await symlink('/dev/stdout', join(logs, 'access.log'));
  await symlink('/dev/stderr', join(logs, 'error.log'));
}

export const RECIPES: readonly BuiltinRecipe[] = [
  {
    name: 'pause',
    version: 1,
    repositories: ['registry.k8s.io/pause', 'k8s.gcr.io/pause', 'docker.io/library/pause'],
    tag: '3.10',
    config: { entrypoint: ['/pause'], user: '65535:65535', labels: {} },
    async build(rootfs, ctx) {
      if (!(await isStaticElf(ctx.pauseBinary)))
        throw new BuiltinBuildError(`${ctx.pauseBinary} is not a static executable (build.mjs links it -static-pie)`);
      await copyFile(ctx.pauseBinary, join(rootfs, 'pause'));
      await chmod(join(rootfs, 'pause'), 0o755);
    },
  },
  {
    name: 'busybox',
    version: 1,
    repositories: ['docker.io/library/busybox'],
    config: { cmd: ['sh'], env: [PATH_ENV] },
    async build(rootfs, ctx) {
      ctx.progress('downloading busybox-static');
      const [deb] = await downloadDebs(['busybox-static'], ctx.workDir);
      const x = join(ctx.workDir, 'x');
      const version = await extractDeb(deb!, x);
      await skeleton(rootfs, {
        osRelease: `NAME="BusyBox"\nID=busybox\nVERSION_ID="${version}"\nPRETTY_NAME="BusyBox ${version} (kubewire built-in, from Debian's busybox-static)"\n`,
      });
      const bb = join(rootfs, 'bin/busybox');
      await copyFile(join(x, 'bin/busybox'), bb);
      await chmod(bb, 0o755);
      if (!(await isStaticElf(bb))) throw new BuiltinBuildError('busybox-static did not contain a static busybox');
      const list = await execa(bb, ['--list-full'], { stdin: 'ignore' });
      for (const applet of list.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        if (!/^[a-z0-9/_.[-]+$/.test(applet) || applet.includes('..') || applet === 'bin/busybox') continue;
        await mkdir(join(rootfs, dirname(applet)), { recursive: true });
        await symlink('/bin/busybox', join(rootfs, applet)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
      }
    },
  },
  {
    name: 'nginx',
    version: 2,
    repositories: ['docker.io/library/nginx'],
    config: { cmd: ['nginx', '-g', 'daemon off;'], env: [PATH_ENV], exposedPorts: ['80/tcp'], stopSignal: 'SIGQUIT' },
    async build(rootfs, ctx) {
      await debootstrap(rootfs, ['nginx-light'], ctx.workDir, ctx.progress);
      await nginxLogsToStdio(rootfs);
    },
  },
  {
    name: 'kubia',
    version: 2,
    // kubia (the book's name), luksa/kubia (the book's image), the article's own copy of it.
    repositories: ['docker.io/library/kubia', 'docker.io/luksa/kubia', 'docker.io/beikejiedeliulangmao/kubia'],
    config: { entrypoint: ['node', 'app.js'], env: [PATH_ENV], workingDir: '/app', exposedPorts: ['8080/tcp'] },
    async build(rootfs, ctx) {
      // The article runs `ip route`, `ip -d link show` inside its kubia container: iproute2 is in.
      await debootstrap(rootfs, ['nodejs', 'iproute2', 'iputils-ping', 'curl'], ctx.workDir, ctx.progress);
      await mkdir(join(rootfs, 'app'), { recursive: true });
      await copyFile(ctx.kubiaScript, join(rootfs, 'app/app.js'));
      await writeFile(join(rootfs, 'app/package.json'), '{ "type": "module" }\n');
    },
  },
  {
    name: 'tools',
    version: 2,
    repositories: ['docker.io/library/tools', 'docker.io/nicolaka/netshoot', 'docker.io/library/netshoot'],
    config: { cmd: ['sleep', 'infinity'], env: [PATH_ENV] },
    async build(rootfs, ctx) {
      await debootstrap(
        rootfs,
        [
          'iproute2',
          'iputils-ping',
          'traceroute',
          'curl',
          'dnsutils',
          'tcpdump',
          'iptables',
          'conntrack',
          'socat',
          'procps',
        ],
        ctx.workDir,
        ctx.progress,
      );
    },
  },
];
