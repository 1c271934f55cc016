// The service-account signing key (kube-apiserver's --service-account-signing-key-file and
// --service-account-key-file): an EC P-256 key made at first start in the apiserver's private state
// folder (0600 in a 0700 folder), and compact JWS (ES256) signing and verification with it. The
// key id is what kube-apiserver derives: base64url(SHA-256(DER of the public key)).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceAccountKey {
  readonly kid: string;
  /** Signs the claims as a compact JWS. */
  sign(claims: Record<string, unknown>): string;
  /** The claims of a token this key signed, or undefined (malformed, other key, bad signature). */
  verify(token: string): Record<string, unknown> | undefined;
  /** The public key as a JWK (for /openid/v1/jwks). */
  jwk(): Record<string, unknown>;
}

/** Reads `<dir>/sa.key`, making it first if it is missing. */
export function loadServiceAccountKey(dir: string): ServiceAccountKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'sa.key');
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    renameSync(tmp, path);
  }
  return new EcKey(createPrivateKey(readFileSync(path)));
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

class EcKey implements ServiceAccountKey {
  readonly kid: string;
  private readonly pub: KeyObject;

  constructor(private readonly key: KeyObject) {
    this.pub = createPublicKey(key);
    this.kid = createHash('sha256')
      .update(this.pub.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  sign(claims: Record<string, unknown>): string {
    const input = `${b64(JSON.stringify({ alg: 'ES256', kid: this.kid }))}.${b64(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  verify(token: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as {
        alg?: unknown;
        kid?: unknown;
      };
      if (header.alg !== 'ES256' || (header.kid !== undefined && header.kid !== this.kid)) return undefined;
      const ok = verify(
        'sha256',
        Buffer.from(`${parts[0]}.${parts[1]}`),
        { key: this.pub, dsaEncoding: 'ieee-p1363' },
        Buffer.from(parts[2]!, 'base64url'),
      );
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
      return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
        ? (claims as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  jwk(): Record<string, unknown> {
    const j = this.pub.export({ format: 'jwk' });
    return { use: 'sig', kty: j.kty, kid: this.kid, crv: j.crv, alg: 'ES256', x: j.x, y: j.y };
  }
}
