// Ingress routing: exact hosts before the catch-all, Exact before Prefix, longest prefix first,
// Prefix by whole path segments, backends resolved to cluster IP and port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../../common/api-types.js';
import { ingressRoutes, matchRoute, type Ingress } from '../../../cluster/agents/ingress/ingress-routes.js';

const svc = (name: string, ip: string, port: number) =>
  ({
    metadata: { name, namespace: 'default' },
    spec: { clusterIP: ip, ports: [{ port, name: 'http' }] },
  }) as unknown as Service;
const backend = (name: string, number: number) => ({ service: { name, port: { number } } });
const ing: Ingress = {
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    defaultBackend: backend('fallback', 80),
    rules: [
      {
        host: 'kubia.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: backend('kubia', 8080) },
            { path: '/api', pathType: 'Prefix', backend: backend('api', 80) },
            { path: '/health', pathType: 'Exact', backend: backend('api', 80) },
          ],
        },
      },
      {
        host: 'gone.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('missing', 80) }] },
      },
    ],
  },
};
const routes = ingressRoutes(
  [ing],
  [svc('kubia', '192.168.205.1', 8080), svc('api', '192.168.205.2', 80), svc('fallback', '192.168.205.3', 80)],
);

test('host and path pick the most specific rule', () => {
  assert.equal(matchRoute(routes, 'kubia.example.com', '/')?.backend.ip, '192.168.205.1');
  assert.equal(matchRoute(routes, 'kubia.example.com:80', '/api/v1')?.backend.ip, '192.168.205.2');
  assert.equal(matchRoute(routes, 'KUBIA.example.com', '/api')?.backend.ip, '192.168.205.2');
  assert.equal(
    matchRoute(routes, 'kubia.example.com', '/apix')?.backend.ip,
    '192.168.205.1',
    'prefix matches whole segments',
  );
  assert.equal(matchRoute(routes, 'kubia.example.com', '/health')?.backend.ip, '192.168.205.2');
  assert.equal(matchRoute(routes, 'other.example.com', '/x')?.backend.ip, '192.168.205.3', 'default backend');
});

test('a rule whose Service does not exist routes nowhere', () => {
  assert.equal(
    routes.some((r) => r.host === 'gone.example.com'),
    false,
  );
  assert.deepEqual(matchRoute(routes, 'kubia.example.com', '/')?.backend, { ip: '192.168.205.1', port: 8080 });
});
