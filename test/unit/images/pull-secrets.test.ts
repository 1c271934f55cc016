// imagePullSecrets as the kubelet reads them, and the registry's auth challenge and error bodies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authFromPullSecrets, registryHostOf } from '../../../runtime/images/pull-secrets.js';
import { parseChallenge, registryErrorText } from '../../../runtime/images/registry-client.js';
import { authFor } from '../../../runtime/images/registry-puller.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('dockerconfigjson and dockercfg secrets become auth by registry host', () => {
  const auth = authFromPullSecrets([
    {
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': b64(
          JSON.stringify({
            auths: {
              'https://index.docker.io/v1/': { auth: b64('luksa:pw:with:colons') },
              'reg.lab:5000': { username: 'u', password: 'p' },
            },
          }),
        ),
      },
    },
    {
      type: 'kubernetes.io/dockercfg',
      data: {
        '.dockercfg': b64(
          JSON.stringify({
            'https://other.example/v2/': { identitytoken: 'tok' },
            'reg.lab:5000': { username: 'later', password: 'x' },
          }),
        ),
      },
    },
    { type: 'Opaque', data: { x: b64('{}') } },
    { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('not json') } },
  ]);
  assert.deepEqual(auth, {
    'docker.io': { username: 'luksa', password: 'pw:with:colons' },
    'reg.lab:5000': { username: 'u', password: 'p' },
    'other.example': { token: 'tok' },
  });
  assert.equal(authFor(auth, 'docker.io')?.username, 'luksa');
  assert.equal(registryHostOf('registry-1.docker.io'), 'docker.io');
});

test('a Bearer challenge gives realm, service and scope (commas inside quotes kept)', () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull,push',
      },
    },
  );
  assert.equal(parseChallenge('Basic realm="kubewire-lab"').scheme, 'basic');
});

test("the registry's error body is kept in its own words", () => {
  assert.equal(
    registryErrorText(
      404,
      Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}'),
    ),
    'MANIFEST_UNKNOWN: manifest unknown',
  );
  assert.equal(registryErrorText(502, Buffer.from('<html>bad gateway</html>')), 'HTTP 502: <html>bad gateway</html>');
});
