// Static bearer tokens in kube-apiserver's --token-auth-file format (`token,user,uid,"g1,g2"`):
// the admin (system:masters) and one identity per node agent (system:node:<name> in system:nodes).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { ValidationError } from '../../../common/errors.js';
import {
  bearerToken,
  type AuthenticationRequest,
  type AuthenticationResult,
  type Authenticator,
  type UserInfo,
} from './authenticator.js';

interface Entry {
  token: string;
  user: UserInfo;
}

export class TokenFile implements Authenticator {
  readonly name = 'token-file';
  private entries: Entry[] = [];

  /** `path` is read now if it exists; issue() appends to it. */
  constructor(private readonly path: string) {
    if (existsSync(path)) this.entries = parse(readFileSync(path, 'utf8'), path);
  }

  authenticate(req: AuthenticationRequest): AuthenticationResult {
    const token = bearerToken(req.headers);
    if (token === undefined) return undefined;
    const given = Buffer.from(token);
    for (const e of this.entries) {
      const want = Buffer.from(e.token);
      if (want.length === given.length && timingSafeEqual(want, given)) return { user: e.user };
    }
    return { rejected: 'invalid bearer token' };
  }

  /** The token of `user` (by name), issuing and saving a new one if there is none. */
  issue(user: UserInfo): string {
    const found = this.entries.find((e) => e.user.name === user.name);
    if (found) return found.token;
    const token = randomBytes(24).toString('base64url');
    this.entries.push({ token, user });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, format(this.entries), { mode: 0o600 });
    renameSync(tmp, this.path);
    return token;
  }
}

/** Token for a node agent: user system:node:<name>, group system:nodes. */
export function nodeUser(nodeName: string): UserInfo {
  return { name: `system:node:${nodeName}`, uid: `node:${nodeName}`, groups: ['system:nodes'] };
}

export const ADMIN_USER: UserInfo = { name: 'admin', uid: 'admin', groups: ['system:masters'] };

function parse(text: string, path: string): Entry[] {
  const out: Entry[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(line.trim());
    if (!m) throw new ValidationError(`${path}:${i + 1}`, 'expected token,user,uid[,"group1,group2"]');
    out.push({ token: m[1]!, user: { name: m[2]!, uid: m[3]!, groups: m[4] ? m[4].split(',').filter(Boolean) : [] } });
  });
  return out;
}

function format(entries: Entry[]): string {
  return entries.map((e) => `${e.token},${e.user.name},${e.user.uid},"${e.user.groups.join(',')}"`).join('\n') + '\n';
}
