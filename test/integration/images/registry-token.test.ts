// Bearer-token authentication as Docker Hub does it, against a real docker-registry configured for
// token auth: the registry answers 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`,
// the client asks that realm (here a token service in the test, signing RS256 JWTs with a key
// whose certificate the registry trusts) with the pull secret as Basic credentials, and retries.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { ImagePullError } from '../../../runtime/images/image-service.js';
import { LabRegistry } from '../../../runtime/images/lab-registry.js';
import { openImageService } from '../../../runtime/images/local-image-service.js';
import { RegistryPuller } from '../../../runtime/images/registry-puller.js';

const netns = `kw-t${randomBytes(3).toString('hex')}-regtoken`;
const dir = mkdtempSync(join(tmpdir(), 'kw-regtoken-'));
const SERVICE = 'kubewire-lab-registry';
const ISSUER = 'kubewire-test-token-issuer';
const asked: string[] = [];
let tokens: Server;
let open: LabRegistry;
let secured: LabRegistry;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function jwt(scope: string, key: ReturnType<typeof createPrivateKey>, certDer: Buffer): string {
  const [type, name, actions] = scope.split(':');
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
  const claims = {
    iss: ISSUER,
    sub: 'learner',
    aud: SERVICE,
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    jti: randomBytes(8).toString('hex'),
    access: [{ type, name, actions: actions!.split(',') }],
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
}

before(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${ISSUER}`,
    ],
    { stdio: 'ignore' },
  );
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
  tokens = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')}`);
    if (req.headers.authorization !== `Basic ${Buffer.from('learner:s3cret').toString('base64')}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: jwt(url.searchParams.get('scope') ?? '', key, certDer), expires_in: 300 }));
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
  await execa('ip', ['netns', 'add', netns]);
  await execa('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  open = new LabRegistry({ netns, address: '127.0.0.1', port: 5000, dir: join(dir, 'open') });
  secured = new LabRegistry({
    netns,
    address: '127.0.0.1',
    port: 5002,
    dir: join(dir, 'secured'),
    dataDir: open.dataDir,
    token: { realm, service: SERVICE, issuer: ISSUER, rootCertBundle: join(dir, 'cert.pem') },
  });
  await open.start();
  await secured.start();
  const src = await openImageService({ dir: join(dir, 'src') });
  await src.ensure('registry.k8s.io/pause:3.10', { policy: 'IfNotPresent' });
  await open.push(join(dir, 'src'), ['registry.k8s.io/pause:3.10']); // same storage: the secured one serves it too
});

after(async () => {
  await secured?.stop().catch(() => {});
  await open?.stop().catch(() => {});
  await execa('ip', ['netns', 'del', netns], { reject: false });
  await new Promise((r) => tokens?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function node(name: string) {
  return openImageService({
    dir: join(dir, name),
    puller: (store) =>
      new RegistryPuller(store, { mirrors: { [secured.host]: [secured.endpoint()] }, upstream: false }),
  });
}

test('a Bearer challenge is answered with a token from its realm, scoped to the repository', async () => {
  const svc = await node('a');
  const img = await svc.ensure(`${secured.host}/pause:3.10`, {
    policy: 'Always',
    auth: { [secured.host]: { username: 'learner', password: 's3cret' } },
  });
  assert.deepEqual(img.config.entrypoint, ['/pause']);
  assert.ok(asked.includes(`${SERVICE} repository:pause:pull`), asked.join(' | '));
});

test('a token service that refuses the credentials is Unauthorized, in its own words', async () => {
  const svc = await node('b');
  await assert.rejects(
    svc.ensure(`${secured.host}/pause:3.10`, {
      policy: 'Always',
      auth: { [secured.host]: { username: 'learner', password: 'nope' } },
    }),
    (e: unknown) => {
      assert.ok(e instanceof ImagePullError);
      assert.equal(e.reason, 'Unauthorized');
      assert.match(e.message, /token service refused \(incorrect username or password\)/);
      return true;
    },
  );
});

test('a given token the registry cannot verify is Unauthorized', async () => {
  const svc = await node('c');
  await assert.rejects(
    svc.ensure(`${secured.host}/pause:3.10`, { policy: 'Always', auth: { [secured.host]: { token: 'not-a-jwt' } } }),
    (e: unknown) => e instanceof ImagePullError && e.reason === 'Unauthorized' && /UNAUTHORIZED/.test(e.message),
  );
});
