// A Docker Registry HTTP API v2 client (what a node's container runtime speaks): manifests with
// Docker and OCI media types, blobs streamed to disk with their sha256 checked, authentication
// from the registry's WWW-Authenticate challenge (Bearer token from its realm, or Basic), and the
// registry's own error text kept for the pod's events. Built on node:http/https rather than a
// package: it can connect through a Unix socket (the relay into a lab namespace), and every error
// keeps the registry's JSON `errors` body. (@snyk/docker-registry-v2-client was compared: its
// default Accept lacks the OCI types, it retries on its own schedule and brings needle + psl.)
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ImagePullError, type RegistryAuth } from './image-service.js';
import { INDEX_TYPES, MANIFEST_TYPES, MT } from './oci-types.js';

export interface RegistryEndpoint {
  /** http://host:port or https://host[:port] */
  url: string;
  /** Connect through this Unix socket (a relay into the lab namespace the registry runs in). */
  socketPath?: string;
}

export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

const ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerManifestList, MT.dockerManifest].join(', ');

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

/** Splits `Bearer realm="x",service="y",scope="a,b"` into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\w+)\s*(.*)$/.exec(header.trim());
  const params: Record<string, string> = {};
  const re = /(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m?.[2] ?? ''); p; p = re.exec(m?.[2] ?? '')) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

async function readAll(res: IncomingMessage, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new Error(`response larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The registry's own words from an error body ({"errors":[{"code","message"}]}), else the status. */
export function registryErrorText(status: number, body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as {
      errors?: { code?: string; message?: string; detail?: unknown }[];
      details?: string;
    };
    if (j.errors?.length) return j.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    if (j.details) return j.details;
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.toString('utf8').trim().slice(0, 200);
  return `HTTP ${status}${text ? `: ${text}` : ''}`;
}

export class RegistryClient {
  private authorization?: string;

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly repository: string,
    private readonly ref: string,
    private readonly auth?: RegistryAuth,
    private readonly timeoutMs = 15_000,
  ) {}

  private fail(message: string, reason: string, cause?: unknown): ImagePullError {
    return new ImagePullError(`${this.endpoint.url}: ${message}`, this.ref, reason, cause ? { cause } : undefined);
  }

  private send(url: URL, headers: Record<string, string>, useSocket: boolean): Promise<Response> {
    const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = req(
        url,
        {
          method: 'GET',
          headers,
          timeout: this.timeoutMs,
          ...(useSocket && this.endpoint.socketPath ? { socketPath: this.endpoint.socketPath } : {}),
        },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', reject);
      r.end();
    });
  }

  /** GET with auth negotiated on a 401 and redirects followed (blob storage may live elsewhere). */
  private async get(path: string, accept?: string): Promise<Response> {
    const base = new URL(this.endpoint.url);
    let url = new URL(path, base);
    for (let hop = 0; hop < 5; hop++) {
      const sameHost = url.host === base.host;
      const headers: Record<string, string> = { 'user-agent': 'kubewire/0.1', ...(accept ? { accept } : {}) };
      if (sameHost && this.authorization) headers.authorization = this.authorization;
      let res: Response;
      try {
        res = await this.send(url, headers, sameHost);
      } catch (err) {
        throw this.fail(`cannot reach the registry: ${(err as Error).message}`, 'Unreachable', err);
      }
      if (res.status === 401 && sameHost && !headers.authorization) {
        const challenge = res.headers['www-authenticate'];
        await readAll(res.body).catch(() => Buffer.alloc(0));
        if (!challenge) throw this.fail('401 Unauthorized without a WWW-Authenticate challenge', 'Unauthorized');
        await this.authenticate(String(challenge));
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(res.status) && res.headers.location) {
        res.body.resume();
        url = new URL(res.headers.location, url);
        continue;
      }
      return res;
    }
    throw this.fail('too many redirects', 'Invalid');
  }

  private async authenticate(challenge: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const basic =
      this.auth?.username !== undefined
        ? `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`).toString('base64')}`
        : undefined;
    if (scheme === 'basic') {
      if (!basic)
        throw this.fail(
          'the registry asks for a username and password (Basic), none given: add an imagePullSecret',
          'Unauthorized',
        );
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer' || !params.realm)
      throw this.fail(`unsupported authentication challenge: ${challenge}`, 'Unauthorized');
    if (this.auth?.token) {
      this.authorization = `Bearer ${this.auth.token}`;
      return;
    }
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? `repository:${this.repository}:pull`);
    const tokenClient = new RegistryClient(
      {
        url: realm.origin,
        ...(realm.host === new URL(this.endpoint.url).host && this.endpoint.socketPath
          ? { socketPath: this.endpoint.socketPath }
          : {}),
      },
      this.repository,
      this.ref,
      undefined,
      this.timeoutMs,
    );
    let res: Response;
    try {
      res = await tokenClient.send(
        realm,
        { 'user-agent': 'kubewire/0.1', ...(basic ? { authorization: basic } : {}) },
        realm.host === new URL(this.endpoint.url).host,
      );
    } catch (err) {
      throw this.fail(`cannot reach the token service ${realm.origin}: ${(err as Error).message}`, 'Unreachable', err);
    }
    const body = await readAll(res.body);
    if (res.status !== 200)
      throw this.fail(`token service refused (${registryErrorText(res.status, body)})`, 'Unauthorized');
    const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    const token = j.token ?? j.access_token;
    if (!token) throw this.fail('token service answered without a token', 'Unauthorized');
    this.authorization = `Bearer ${token}`;
  }

  private async check(res: Response, what: string): Promise<void> {
    if (res.status === 200) return;
    const text = registryErrorText(res.status, await readAll(res.body).catch(() => Buffer.alloc(0)));
    const reason =
      res.status === 404 ? 'NotFound' : res.status === 401 || res.status === 403 ? 'Unauthorized' : 'Invalid';
    const words =
      res.status === 404
        ? 'not found'
        : res.status === 401 || res.status === 403
          ? 'unauthorized'
          : `failed (HTTP ${res.status})`;
    throw this.fail(`${what} ${words}: ${text}`, reason);
  }

  /** The manifest or index `reference` (tag or digest) names; checked against a digest reference. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const res = await this.get(`/v2/${this.repository}/manifests/${reference}`, ACCEPT);
    await this.check(res, `manifest ${this.repository}:${reference}`);
    const bytes = await readAll(res.body);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference)
      throw this.fail(`manifest digest mismatch: asked ${reference}, got ${digest}`, 'Invalid');
    let mediaType = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    if (declared) mediaType = declared;
    if (![...MANIFEST_TYPES, ...INDEX_TYPES].includes(mediaType))
      throw this.fail(`unsupported manifest type "${mediaType}"`, 'Invalid');
    return { mediaType, bytes, digest };
  }

  /** Streams blob `digest` into `file`, verifying its sha256 (a mismatch deletes the file). */
  async blob(digest: string, file: string, onData?: (n: number) => void): Promise<number> {
    const res = await this.get(`/v2/${this.repository}/blobs/${digest}`);
    await this.check(res, `blob ${digest}`);
    const h = createHash('sha256');
    let n = 0;
    const out = createWriteStream(file, { mode: 0o600 });
    try {
      for await (const c of res.body as AsyncIterable<Buffer>) {
        h.update(c);
        n += c.length;
        onData?.(n);
        if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (err) {
      out.destroy();
      await rm(file, { force: true });
      throw this.fail(`download of blob ${digest} broke off: ${(err as Error).message}`, 'Unreachable', err);
    }
    const got = `sha256:${h.digest('hex')}`;
    if (got !== digest) {
      await rm(file, { force: true });
      throw this.fail(`blob digest mismatch: expected ${digest}, content is ${got}`, 'Invalid');
    }
    return n;
  }
}
