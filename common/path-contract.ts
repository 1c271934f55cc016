// The path tracer's calls in the UI contract (merged into common/ui-contract.ts's UiCalls), with
// their request validators: a source namespace name and a destination parsed strictly.
import { ValidationError } from './errors.js';
import { NAMESPACE_NAME } from './lab-names.js';
import type { PathCapture, PathTrace } from './path-model.js';
import { parsePathTarget } from './path-target.js';
import { asInteger, asObject, asString, onlyKeys } from './validate.js';

export interface PathTraceRequest {
  /** A lab namespace: a pod (`<prefix>default_kubia-24hmb`) or a node (`<prefix>node5`). */
  source: string;
  /** `192.168.129.10`, `192.168.199.234:8080`, `10.231.209.117:32681`, `192.168.192.10:53/udp`, `google.com`, `google.com:80`. */
  destination: string;
  /** Also run ping/curl and traceroute from the source and mark the hops they confirm. */
  probe?: boolean;
}

export interface PathCaptureRequest {
  source: string;
  destination: string;
  /** Per capture point, at most this many packets (default 20). */
  packets?: number;
  /** Upper bound of the capture (default 5). */
  seconds?: number;
}

export interface PathCalls {
  'path.trace': { request: PathTraceRequest; response: PathTrace };
  'path.capture': { request: PathCaptureRequest; response: PathCapture };
}

/** Download URL of a capture file: `/api/pcap/<16 hex>/<name>.pcap`. */
export const PCAP_URL = /^\/api\/pcap\/([0-9a-f]{16})\/([A-Za-z0-9_.-]{1,120}\.pcap)$/;

function endpoints(o: Record<string, unknown>, where: string): { source: string; destination: string } {
  const source = asString(o.source, `${where}.source`, { pattern: NAMESPACE_NAME });
  const destination = asString(o.destination, `${where}.destination`, { max: 300 });
  parsePathTarget(destination, `${where}.destination`);
  return { source, destination };
}

export const pathRequestValidators: { [K in keyof PathCalls]: (v: unknown, where: string) => PathCalls[K]['request'] } =
  {
    'path.trace': (v, where) => {
      const o = asObject(v, where);
      onlyKeys(o, where, ['source', 'destination', 'probe']);
      const req: PathTraceRequest = endpoints(o, where);
      if (o.probe !== undefined) {
        if (typeof o.probe !== 'boolean') throw new ValidationError(`${where}.probe`, 'expected true or false');
        req.probe = o.probe;
      }
      return req;
    },
    'path.capture': (v, where) => {
      const o = asObject(v, where);
      onlyKeys(o, where, ['source', 'destination', 'packets', 'seconds']);
      const req: PathCaptureRequest = endpoints(o, where);
      if (o.packets !== undefined) req.packets = asInteger(o.packets, `${where}.packets`, 1, 1000);
      if (o.seconds !== undefined) req.seconds = asInteger(o.seconds, `${where}.seconds`, 1, 30);
      return req;
    },
  };
