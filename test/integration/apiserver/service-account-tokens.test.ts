// Bound service-account tokens against the real apiserver with the real kubectl: `kubectl create
// token` (TokenRequest), the JWT's claims, TokenReview with and without audiences, RBAC deciding
// what the token may do (403, then 200 after a RoleBinding), pod-bound tokens invalidated by the
// pod's deletion, and the ServiceAccount admission plugin's kube-api-access volume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasKubectl, NO_KUBECTL, startApiServer, type Harness } from './harness.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

function claims(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

async function review(h: Harness, token: string, audiences?: string[]): Promise<any> {
  const r = await h.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(audiences ? { audiences } : {}) },
    }),
  });
  assert.equal(r.status, 201, r.text);
  return r.json.status;
}

async function ok(h: Harness, ...args: string[]): Promise<string> {
  const r = await h.kubectl(...args);
  assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test(
  'kubectl create token: a signed JWT with the kubernetes.io claims, RBAC decides what it may do',
  { skip: NO_KUBECTL },
  async (t) => {
    const h = await startApiServer({ memory: true });
    t.after(() => h.stop());
    await ok(h, 'create', 'serviceaccount', 'robot', '-n', 'default');
    const sa = JSON.parse(await ok(h, 'get', 'sa', 'robot', '-n', 'default', '-o', 'json'));

    const custom = (
      await ok(h, 'create', 'token', 'robot', '-n', 'default', '--duration', '15m', '--audience', 'vault')
    ).trim();
    const c = claims(custom);
    assert.deepEqual(c.aud, ['vault']);
    assert.equal(c.iss, ISSUER);
    assert.equal(c.sub, 'system:serviceaccount:default:robot');
    assert.equal(c.exp - c.iat, 900);
    assert.deepEqual(c['kubernetes.io'].serviceaccount, { name: 'robot', uid: sa.metadata.uid });
    assert.equal(c['kubernetes.io'].namespace, 'default');
    const header = JSON.parse(Buffer.from(custom.split('.')[0]!, 'base64url').toString('utf8'));
    assert.equal(header.alg, 'ES256');
    assert.ok(header.kid);

    // Meant for vault, not for the apiserver: TokenReview accepts it only for that audience.
    const forVault = await review(h, custom, ['vault']);
    assert.equal(forVault.authenticated, true);
    assert.equal(forVault.user.username, 'system:serviceaccount:default:robot');
    assert.deepEqual(forVault.user.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:default',
      'system:authenticated',
    ]);
    assert.deepEqual(forVault.audiences, ['vault']);
    assert.ok(!(await review(h, custom)).authenticated); // Go omits authenticated: false
    assert.equal((await h.request('GET', '/api/v1/namespaces/default/pods', { token: custom })).status, 401);

    const tooShort = await h.kubectl('create', 'token', 'robot', '-n', 'default', '--duration', '5m');
    assert.notEqual(tooShort.exitCode, 0);
    assert.match(tooShort.stderr, /may not specify a duration less than 10 minutes/);
    const missing = await h.kubectl('create', 'token', 'nobody', '-n', 'default');
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);

    const token = (await ok(h, 'create', 'token', 'robot', '-n', 'default')).trim();
    assert.deepEqual(claims(token).aud, [ISSUER]);
    assert.equal(claims(token).exp - claims(token).iat, 3600);
    const list = () => h.request('GET', '/api/v1/namespaces/default/pods', { token });
    const denied = await list();
    assert.equal(denied.status, 403);
    assert.match(denied.json.message, /User "system:serviceaccount:default:robot" cannot list resource "pods"/);
    await ok(h, 'create', 'role', 'pod-reader', '-n', 'default', '--verb=get,list', '--resource=pods');
    await ok(
      h,
      'create',
      'rolebinding',
      'robot-reads',
      '-n',
      'default',
      '--role=pod-reader',
      '--serviceaccount=default:robot',
    );
    assert.equal((await list()).status, 200);
    // kubectl with the token as its only credential.
    const who = await h.kubectl('auth', 'whoami', '--token', token, '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(who.stdout, 'system:serviceaccount:default:robot', who.stderr);

    // Deleting the account invalidates every token it was given.
    await ok(h, 'delete', 'sa', 'robot', '-n', 'default');
    assert.equal((await list()).status, 401);
    assert.equal((await review(h, token)).error, 'Token has been invalidated');
  },
);

test(
  'a pod-bound token dies with its pod; ServiceAccount admission mounts kube-api-access',
  { skip: NO_KUBECTL },
  async (t) => {
    assert.ok(hasKubectl);
    const h = await startApiServer({ memory: true });
    t.after(() => h.stop());
    await ok(h, 'create', 'serviceaccount', 'default', '-n', 'default');
    await ok(h, 'create', 'serviceaccount', 'quiet', '-n', 'default');
    await ok(h, 'patch', 'sa', 'quiet', '-n', 'default', '-p', '{"automountServiceAccountToken":false}');
    await ok(h, 'run', 'web', '--image=busybox', '--restart=Never', '-n', 'default', '--', 'sleep', '3600');
    const pod = JSON.parse(await ok(h, 'get', 'pod', 'web', '-n', 'default', '-o', 'json'));
    assert.equal(pod.spec.serviceAccountName, 'default');
    const vol = pod.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
    assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(vol.projected, {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    });
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [
      { name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);

    const quiet = await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'quiet' },
        spec: { serviceAccountName: 'quiet', containers: [{ name: 'c', image: 'busybox' }] },
      }),
    });
    assert.equal(quiet.status, 201, quiet.text);
    assert.equal(quiet.json.spec.volumes, undefined);

    const bound = (
      await ok(
        h,
        'create',
        'token',
        'default',
        '-n',
        'default',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'web',
      )
    ).trim();
    assert.deepEqual(claims(bound)['kubernetes.io'].pod, { name: 'web', uid: pod.metadata.uid });
    const live = await review(h, bound);
    assert.equal(live.authenticated, true);
    assert.deepEqual(live.user.extra['authentication.kubernetes.io/pod-name'], ['web']);
    assert.deepEqual(live.user.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);

    // A pod running as another account cannot be the binding of this one's token.
    const other = await h.kubectl(
      'create',
      'token',
      'quiet',
      '-n',
      'default',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'web',
    );
    assert.match(
      other.stderr,
      /cannot bind token for serviceaccount "quiet" to pod running with different serviceaccount name/,
    );

    await ok(h, 'delete', 'pod', 'web', '-n', 'default', '--grace-period=0', '--force');
    const dead = await review(h, bound);
    assert.ok(!dead.authenticated);
    assert.equal(dead.error, 'Token has been invalidated');
    assert.equal((await h.request('GET', '/version', { token: bound })).status, 401);
  },
);

test(
  'issuer discovery: any service account reads the OIDC document and the keys that verify its token',
  { skip: NO_KUBECTL },
  async (t) => {
    const h = await startApiServer({ memory: true });
    t.after(() => h.stop());
    await ok(h, 'create', 'serviceaccount', 'relying-party', '-n', 'default');
    const token = (await ok(h, 'create', 'token', 'relying-party', '-n', 'default')).trim();
    const conf = await h.request('GET', '/.well-known/openid-configuration', { token });
    assert.equal(conf.status, 200, conf.text);
    assert.equal(conf.json.issuer, ISSUER);
    assert.equal(conf.json.jwks_uri, `${ISSUER}/openid/v1/jwks`);
    assert.deepEqual(conf.json.id_token_signing_alg_values_supported, ['ES256']);
    const jwks = await h.request('GET', '/openid/v1/jwks', { token });
    assert.equal(jwks.status, 200, jwks.text);
    assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
    const [key] = jwks.json.keys;
    const [header, payload, sig] = token.split('.') as [string, string, string];
    assert.equal(key.kid, JSON.parse(Buffer.from(header, 'base64url').toString()).kid);
    // Verified as a relying party would, with nothing but the published key.
    const { createPublicKey, verify } = await import('node:crypto');
    const pub = createPublicKey({ key: key, format: 'jwk' });
    assert.ok(
      verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        { key: pub, dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig, 'base64url'),
      ),
    );
    // Not for callers without credentials (this apiserver has no anonymous authentication).
    assert.equal((await h.request('GET', '/openid/v1/jwks', { token: null })).status, 401);
  },
);

test('NodeRestriction: a kubelet gets tokens only bound to pods scheduled on its node', async (t) => {
  const h = await startApiServer({ memory: true });
  t.after(() => h.stop());
  const node1 = h.server.issueNodeToken('n1');
  const post = (path: string, body: unknown, token = h.token) =>
    h.request('POST', path, { body: JSON.stringify(body), token });
  for (const sa of ['default', 'other'])
    assert.equal((await post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: sa } })).status, 201);
  const pods: Record<string, any> = {};
  for (const [name, nodeName, sa] of [
    ['here', 'n1', 'default'],
    ['there', 'n2', 'other'],
  ] as const) {
    const r = await post('/api/v1/namespaces/default/pods', {
      metadata: { name },
      spec: { nodeName, serviceAccountName: sa, containers: [{ name: 'c', image: 'busybox' }] },
    });
    assert.equal(r.status, 201, r.text);
    pods[name] = r.json;
  }
  const ask = (sa: string, boundObjectRef?: unknown) =>
    post(
      `/api/v1/namespaces/default/serviceaccounts/${sa}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { ...(boundObjectRef ? { boundObjectRef } : {}) },
      },
      node1,
    );
  const ref = (p: any) => ({ apiVersion: 'v1', kind: 'Pod', name: p.metadata.name, uid: p.metadata.uid });
  const good = await ask('default', ref(pods.here));
  assert.equal(good.status, 201, good.text);
  assert.ok(good.json.status.token);
  const unbound = await ask('default');
  assert.equal(unbound.status, 403);
  assert.match(unbound.json.message, /node requested token not bound to a pod/);
  const noUid = await ask('default', { ...ref(pods.here), uid: undefined });
  assert.match(noUid.json.message, /node requested token with a pod binding without a uid/);
  // The other node's pod: its account is no business of n1 (Node authorizer), nor its pod (admission).
  assert.equal((await ask('other', ref(pods.there))).status, 403);
});
