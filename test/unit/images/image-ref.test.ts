// Reference normalisation as docker and the kubelet do it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familiarName, normaliseImageRef, parseImageRef } from '../../../runtime/images/image-ref.js';

const D = 'sha256:' + 'a'.repeat(64);

test('short names are Docker Hub official images with tag latest', () => {
  assert.equal(normaliseImageRef('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normaliseImageRef('luksa/kubia:v2'), 'docker.io/luksa/kubia:v2');
  assert.equal(normaliseImageRef('docker.io/nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normaliseImageRef('index.docker.io/library/busybox:1.36'), 'docker.io/library/busybox:1.36');
});

test('a first component with a dot, a port or localhost is a registry', () => {
  assert.deepEqual(parseImageRef('registry.k8s.io/pause:3.10'), {
    registry: 'registry.k8s.io',
    repository: 'pause',
    tag: '3.10',
  });
  assert.equal(normaliseImageRef('localhost:5000/a/b'), 'localhost:5000/a/b:latest');
  assert.equal(normaliseImageRef('10.0.0.1:5000/x:1'), '10.0.0.1:5000/x:1');
  assert.equal(normaliseImageRef('localhost/x'), 'localhost/x:latest');
});

test('digests pin a manifest; a tag and a digest both stay', () => {
  assert.equal(normaliseImageRef(`nginx@${D}`), `docker.io/library/nginx@${D}`);
  assert.equal(normaliseImageRef(`nginx:1.25@${D}`), `docker.io/library/nginx:1.25@${D}`);
});

test('bad references are refused with the reason', () => {
  for (const bad of ['', 'Nginx', 'nginx:', 'a b', 'nginx@sha256:xyz', '../x', 'a//b', `x:${'t'.repeat(200)}`]) {
    assert.throws(() => parseImageRef(bad), /image reference/, bad);
  }
});

test('familiar names are what people type', () => {
  assert.equal(familiarName(parseImageRef('nginx')), 'nginx');
  assert.equal(familiarName(parseImageRef('luksa/kubia')), 'luksa/kubia');
  assert.equal(familiarName(parseImageRef('registry.k8s.io/pause:3.10')), 'registry.k8s.io/pause');
});
