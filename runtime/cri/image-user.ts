// Which uid/gid a container runs as: securityContext first, then the image config's User
// ("uid", "uid:gid", "name", "name:group"), names looked up in the image's /etc/passwd and
// /etc/group (the topmost layer that has the file wins), as containerd does.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedImage } from '../images/image-service.js';
import type { SecurityContext } from './cri-types.js';
import { RuntimeError } from './cri-types.js';

async function imageFile(img: ResolvedImage, path: string): Promise<string | undefined> {
  for (const layer of [...img.layers].reverse()) {
    const text = await readFile(join(layer, path), 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
  }
  return undefined;
}

async function lookup(
  img: ResolvedImage,
  file: string,
  name: string,
): Promise<{ id: number; gid?: number } | undefined> {
  if (/^\d+$/.test(name)) return { id: Number(name) };
  const text = (await imageFile(img, file)) ?? '';
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return { id: Number(f[2]), ...(f[3] ? { gid: Number(f[3]) } : {}) };
  }
  return undefined;
}

export async function resolveUser(img: ResolvedImage, sec: SecurityContext): Promise<{ uid: number; gid: number }> {
  let uid = 0;
  let gid = 0;
  const spec = img.config.user?.trim();
  if (spec) {
    const [u, g] = spec.split(':') as [string, string | undefined];
    const user = await lookup(img, 'etc/passwd', u);
    if (!user) throw new RuntimeError(`image ${img.ref}: user ${u} is not in its /etc/passwd`);
    uid = user.id;
    gid = user.gid ?? 0;
    if (g) {
      const group = await lookup(img, 'etc/group', g);
      if (!group) throw new RuntimeError(`image ${img.ref}: group ${g} is not in its /etc/group`);
      gid = group.id;
    }
  }
  if (sec.runAsUser !== undefined) uid = sec.runAsUser;
  if (sec.runAsGroup !== undefined) gid = sec.runAsGroup;
  return { uid, gid };
}
