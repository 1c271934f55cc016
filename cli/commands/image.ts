// `kubewire image ls | pull REF | import PATH | rm REF... | build NAME|all | gc`: the machine's
// image store (shared by every lab) on the command line, as `crictl images`/`docker image` show it.
import { familiarName, parseImageRef } from '../../runtime/images/image-ref.js';
import { importImage } from '../../runtime/images/image-import.js';
import type { PullOptions } from '../../runtime/images/image-service.js';
import { imageStoreDir } from '../../runtime/images/oci-store.js';
import { openLabImageService } from '../../runtime/images/open-image-service.js';
import { badFlag, parseCommandLine, UsageError, type CommandSpec, type FlagSpecs } from '../args.js';

const IMAGE = {
  command: 'image',
  usage: `usage: kubewire image ls [--json]
       kubewire image pull REF [--username U --password-stdin]
       kubewire image import PATH [--tag REF]     (OCI layout folder or docker-archive tar)
       kubewire image rm REF...
       kubewire image build NAME...|all [--force]    (built-ins: pause busybox nginx kubia tools)
       kubewire image gc`,
  flags: {
    json: { type: 'boolean' },
    tag: { type: 'string' },
    force: { type: 'boolean' },
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  positionals: { min: 1, max: Infinity },
} as const satisfies CommandSpec<FlagSpecs>;
const USAGE = IMAGE.usage;

function human(bytes: number): string {
  return bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)}GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)}MB`
      : `${(bytes / 1e3).toFixed(1)}kB`;
}

function progressPrinter(): NonNullable<PullOptions['onProgress']> {
  return (p) => {
    const pct = p.total ? ` ${Math.round(((p.done ?? 0) / p.total) * 100)}%` : '';
    console.error(`${familiarName(parseImageRef(p.ref))}: ${p.phase}${pct}`);
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function image(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(IMAGE, args);
  const [sub, ...rest] = positionals as [string, ...string[]];
  if (!['ls', 'list', 'pull', 'import', 'rm', 'remove', 'build', 'gc'].includes(sub))
    throw new UsageError('image', `unknown subcommand '${sub}'`, USAGE);
  if (values['password-stdin'] && !values.username) throw badFlag(IMAGE, 'password-stdin', 'goes with --username');
  const svc = await openLabImageService();
  switch (sub) {
    case 'ls':
    case 'list': {
      const list = await svc.list();
      if (values.json) {
        console.log(JSON.stringify(list));
        return 0;
      }
      console.log(`${'IMAGE'.padEnd(44)} ${'TAG'.padEnd(10)} ${'IMAGE ID'.padEnd(13)} SIZE`);
      for (const img of list) {
        for (const ref of img.refs) {
          const r = parseImageRef(ref);
          console.log(
            `${`${r.registry}/${r.repository}`.padEnd(44)} ${(r.tag ?? '<none>').padEnd(10)} ${img.id.slice(7, 19).padEnd(13)} ${human(img.size)}`,
          );
        }
      }
      console.error(`store: ${imageStoreDir()}`);
      return 0;
    }
    case 'pull': {
      const [ref] = rest;
      if (!ref || rest.length !== 1) throw new UsageError('image', 'pull wants one REF', USAGE);
      const host = parseImageRef(ref).registry;
      const auth = values.username
        ? { [host]: { username: values.username, password: values['password-stdin'] ? await readStdin() : '' } }
        : undefined;
      const img = await svc.ensure(ref, { policy: 'Always', onProgress: progressPrinter(), ...(auth ? { auth } : {}) });
      console.log(`${img.ref} ${img.digest}`);
      return 0;
    }
    case 'import': {
      const [path] = rest;
      if (!path || rest.length !== 1) throw new UsageError('image', 'import wants one PATH', USAGE);
      for (const ref of await importImage(svc.store, path, values.tag)) {
        const img = (await svc.resolve(ref))!;
        console.log(`${ref} ${img.digest}`);
      }
      return 0;
    }
    case 'rm':
    case 'remove': {
      if (!rest.length) throw new UsageError('image', 'rm wants at least one REF', USAGE);
      for (const ref of rest) {
        await svc.remove(ref);
        console.log(`Deleted: ${ref}`);
      }
      return 0;
    }
    case 'build': {
      const [name] = rest;
      if (!name) throw new UsageError('image', 'build wants NAME... or all', USAGE);
      const t0 = Date.now();
      const images = await svc.ensureBuiltins({
        names: name === 'all' ? svc.builtins.names() : rest,
        force: values.force ?? false,
        onProgress: progressPrinter(),
      });
      for (const img of images) console.log(`${img.ref} ${img.digest} ${human(img.size)}`);
      console.error(`built-in images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'gc': {
      const r = await svc.gc();
      console.log(
        `removed ${r.removedBlobs.length} blobs and ${r.removedLayers.length} layers; ${r.keptInUse.length} unreferenced layers still mounted`,
      );
      return 0;
    }
    default:
      throw new UsageError('image', `unknown subcommand '${sub}'`, USAGE);
  }
}
