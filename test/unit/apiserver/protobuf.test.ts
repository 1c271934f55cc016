import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf } from '../../../cluster/apiserver/protobuf/decode.js';
import { ApiError } from '../../../cluster/apiserver/status.js';

// A minimal protobuf writer for the test: fields as [number, value] with value a string, number
// (varint), Buffer, or nested field list (message).
type F = [number, string | number | bigint | Buffer | F[]];
function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
function enc(fields: F[]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of fields) {
    if (typeof v === 'number' || typeof v === 'bigint') parts.push(varint(BigInt(n << 3)), varint(BigInt(v)));
    else {
      const body = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : enc(v);
      parts.push(varint(BigInt((n << 3) | 2)), varint(BigInt(body.length)), body);
    }
  }
  return Buffer.concat(parts);
}
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    enc([
      [
        1,
        [
          [1, apiVersion],
          [2, kind],
        ],
      ],
      [2, raw],
    ]),
  ]);

test('a Namespace: metadata with labels map, empty strings omitted, zero time dropped', () => {
  const ns = enc([
    [
      1,
      [
        [1, 'demo'],
        [2, ''],
        [8, []],
        [
          11,
          [
            [1, 'team'],
            [2, 'a'],
          ],
        ],
        [
          11,
          [
            [1, 'env'],
            [2, 'lab'],
          ],
        ],
      ],
    ],
    [2, []],
    [3, []],
  ]);
  assert.deepEqual(decodeK8sProtobuf(envelope('v1', 'Namespace', ns)), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'demo', labels: { team: 'a', env: 'lab' } },
    spec: {},
    status: {},
  });
});

test('a Deployment: replicas 0 kept, IntOrString and Quantity as their JSON forms, negative int', () => {
  const container = [
    [1, 'web'],
    [2, 'nginx:1.27'],
    [6, [[3, 8080]]],
    [
      8,
      [
        [
          1,
          [
            [1, 'cpu'],
            [2, [[1, '100m']]],
          ],
        ],
      ],
    ],
  ] as F[];
  const probe = [
    [
      1,
      [
        [
          2,
          [
            [1, '/'],
            [
              2,
              [
                [1, 1],
                [3, 'http'],
              ],
            ],
          ],
        ],
      ],
    ],
  ] as F[];
  const spec = [
    [1, 0],
    [
      2,
      [
        [
          1,
          [
            [1, 'app'],
            [2, 'web'],
          ],
        ],
      ],
    ],
    [
      3,
      [
        [
          1,
          [
            [
              11,
              [
                [1, 'app'],
                [2, 'web'],
              ],
            ],
          ],
        ],
        [
          2,
          [
            [2, [...container, [10, probe]]],
            [4, -1],
          ],
        ],
      ],
    ],
  ] as F[];
  const obj = decodeK8sProtobuf(
    envelope(
      'apps/v1',
      'Deployment',
      enc([
        [1, [[1, 'web']]],
        [2, spec],
      ]),
    ),
  ) as any;
  assert.equal(obj.spec.replicas, 0);
  assert.deepEqual(obj.spec.selector, { matchLabels: { app: 'web' } });
  const c = obj.spec.template.spec.containers[0];
  assert.deepEqual([c.name, c.image, c.ports[0].containerPort], ['web', 'nginx:1.27', 8080]);
  assert.deepEqual(c.resources, { limits: { cpu: '100m' } });
  assert.equal(c.livenessProbe.httpGet.port, 'http');
  assert.equal(obj.spec.template.spec.terminationGracePeriodSeconds, -1);
});

test('Secret data bytes become base64; unknown kinds and bad envelopes are 400', () => {
  const s = decodeK8sProtobuf(
    envelope(
      'v1',
      'Secret',
      enc([
        [1, [[1, 's']]],
        [
          2,
          [
            [1, 'pw'],
            [2, Buffer.from('hunter2')],
          ],
        ],
        [3, 'Opaque'],
      ]),
    ),
  ) as any;
  assert.deepEqual(s.data, { pw: Buffer.from('hunter2').toString('base64') });
  assert.throws(
    () => decodeK8sProtobuf(envelope('example.com/v1', 'Widget', Buffer.alloc(0))),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
  assert.throws(
    () => decodeK8sProtobuf(Buffer.from('{"kind":"Pod"}')),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
  assert.throws(
    () => decodeK8sProtobuf(envelope('v1', 'Pod', Buffer.from([0x0a, 0x05, 0x01]))),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
});
