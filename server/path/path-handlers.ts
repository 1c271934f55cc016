// The path tracer's part of the call handlers (common/path-contract.ts), and the pcap download.
import { KubewireError } from '../../common/errors.js';
import type { PathCalls } from '../../common/path-contract.js';
import { PCAP_URL } from '../../common/path-contract.js';
import type { CaptureStore } from './capture-store.js';
import type { PathService } from './path-service.js';

export type PathHandlers = {
  [K in keyof PathCalls]: (req: PathCalls[K]['request']) => Promise<PathCalls[K]['response']>;
};

export function createPathHandlers(path: PathService): PathHandlers {
  return {
    'path.trace': ({ source, destination, probe }) => path.trace({ source, destination, probe: probe ?? false }),
    'path.capture': ({ source, destination, packets, seconds }) =>
      path.capture({ source, destination, packets: packets ?? 20, seconds: seconds ?? 5 }),
  };
}

/** For a server wired without the tracer: the calls answer with a clear error. */
export function noPathTracer(): PathHandlers {
  const fail = (): Promise<never> => Promise.reject(new KubewireError('the path tracer is not part of this server'));
  return { 'path.trace': fail, 'path.capture': fail };
}

/** The file a GET of `/api/pcap/<id>/<name>` serves, or undefined (then: 404). */
export function pcapDownload(captures: CaptureStore, pathname: string): { file: string; name: string } | undefined {
  const m = PCAP_URL.exec(pathname);
  if (!m) return undefined;
  const file = captures.path(m[1]!, m[2]!);
  return file ? { file, name: m[2]! } : undefined;
}
