// `kubewire image ls | pull REF | import PATH | rm REF... | build NAME|all | gc`: the machine's
// image store (shared by every lab) on the command line, as `crictl images`/`docker image` show it.
import { ValidationError } from '../../common/errors.js';
import { RECIPES } from '../../runtime/images/builtin-recipes.js';
import { familiarName, isDigest, parseImageRef } from '../../runtime/images/image-ref.js';
import { importImage } from '../../runtime/images/image-import.js';
import type { PullOptions } from '../../runtime/images/image-service.js';
import { imageStoreDir } from '../../runtime/images/oci-store.js';
import { openLabImageService } from '../../runtime/images/open-image-service.js';
import {
  badArgument,
  badFlag,
  parseCommandLine,
  shown,
  UsageError,
  type CommandSpec,
  type FlagSpecs,
  type FlagValues,
} from '../args.js';

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

/** Which subcommands each flag is for: given to another, it is refused (it would be ignored). */
const FLAG_SUBCOMMANDS: Record<keyof typeof IMAGE.flags, readonly string[]> = {
  json: ['ls', 'list'],
  tag: ['import'],
  force: ['build'],
  username: ['pull'],
  'password-stdin': ['pull'],
};
const SUBCOMMANDS = ['ls', 'list', 'pull', 'import', 'rm', 'remove', 'build', 'gc'] as const;

/** An image reference from the command line (a name, name:tag, name@digest, or for rm a digest). */
function refArgument(ref: string, problemOf = 'REF'): void {
  try {
    parseImageRef(ref);
  } catch (err) {
    if (err instanceof ValidationError) throw badArgument(IMAGE, problemOf, `${shown(ref)}: ${err.problem}`);
    throw err;
  }
}

/** Every check of the command line, before the store is opened (opening it may create it). */
function checkCommandLine(sub: string, rest: string[], values: FlagValues<typeof IMAGE.flags>): void {
  if (!(SUBCOMMANDS as readonly string[]).includes(sub))
    throw new UsageError('image', `unknown subcommand '${sub}' (it has ${SUBCOMMANDS.join(', ')})`, USAGE);
  for (const [flag, subs] of Object.entries(FLAG_SUBCOMMANDS))
    if (values[flag as keyof typeof FLAG_SUBCOMMANDS] !== undefined && !subs.includes(sub))
      throw badFlag(IMAGE, flag, `is for image ${subs[0]} only`);
  if (values['password-stdin'] && !values.username) throw badFlag(IMAGE, 'password-stdin', 'goes with --username');
  if (values.username === '') throw badFlag(IMAGE, 'username', 'is empty');
  const one = (what: string) => {
    if (rest.length !== 1) throw new UsageError('image', `${sub} wants one ${what}, got ${rest.length}`, USAGE);
  };
  switch (sub) {
    case 'pull':
      one('REF');
      refArgument(rest[0]!);
      break;
    case 'import':
      one('PATH');
      if (rest[0] === '') throw badArgument(IMAGE, 'PATH', 'is empty');
      if (values.tag !== undefined) refArgument(values.tag, '--tag');
      break;
    case 'rm':
    case 'remove':
      if (!rest.length) throw new UsageError('image', `${sub} wants at least one REF`, USAGE);
      for (const ref of rest) if (!isDigest(ref)) refArgument(ref);
      break;
    case 'build': {
      if (!rest.length) throw new UsageError('image', 'build wants NAME... or all', USAGE);
      const known = RECIPES.map((r) => r.name);
      for (const n of rest)
        if (!(n === 'all' && rest.length === 1) && !known.includes(n))
          throw badArgument(IMAGE, 'NAME', `${shown(n)} is not a built-in image (${known.join(', ')}, or all alone)`);
      break;
    }
    default:
      if (rest.length) throw new UsageError('image', `${sub} takes no arguments (got '${rest.join(' ')}')`, USAGE);
  }
}

export async function image(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(IMAGE, args);
  const [sub, ...rest] = positionals as [string, ...string[]];
  checkCommandLine(sub, rest, values);
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
      const ref = rest[0]!;
      const host = parseImageRef(ref).registry;
      const auth = values.username
        ? { [host]: { username: values.username, password: values['password-stdin'] ? await readStdin() : '' } }
        : undefined;
      const img = await svc.ensure(ref, { policy: 'Always', onProgress: progressPrinter(), ...(auth ? { auth } : {}) });
      console.log(`${img.ref} ${img.digest}`);
      return 0;
    }
    case 'import': {
      for (const ref of await importImage(svc.store, rest[0]!, values.tag)) {
        const img = (await svc.resolve(ref))!;
        console.log(`${ref} ${img.digest}`);
      }
      return 0;
    }
    case 'rm':
    case 'remove': {
      for (const ref of rest) {
        await svc.remove(ref);
        console.log(`Deleted: ${ref}`);
      }
      return 0;
    }
    case 'build': {
      const t0 = Date.now();
      const images = await svc.ensureBuiltins({
        names: rest[0] === 'all' ? svc.builtins.names() : rest,
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
