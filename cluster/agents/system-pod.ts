// The lab's own add-on pods (cluster DNS, the Ingress proxy) run kubewire's compiled code in a
// real container: the kubia image brings Node.js; the project (dist/, node_modules/) and the
// folder of the file the add-on reads come in read-only from the node, as hostPath volumes.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Container, Volume } from '../../common/api-types.js';

const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function systemPodSpec(
  name: string,
  script: string,
  dataFile: string,
  ports: Container['ports'],
  /** The named port that answers once the add-on serves: Ready (and an endpoint) only then. */
  readyPort?: string,
): { containers: Container[]; volumes: Volume[] } {
  return {
    containers: [
      {
        name,
        image: 'kubia',
        imagePullPolicy: 'IfNotPresent',
        command: ['node', script, dataFile],
        ...(ports ? { ports } : {}),
        // As the real CoreDNS and ingress-nginx pods: no endpoint before the server listens (Node.js
        // takes a few seconds to start it; a client sent there meanwhile got "connection refused").
        ...(readyPort
          ? { readinessProbe: { tcpSocket: { port: readyPort }, periodSeconds: 2, timeoutSeconds: 1 } }
          : {}),
        volumeMounts: [
          { name: 'kubewire', mountPath: PROJECT, readOnly: true },
          { name: 'data', mountPath: dirname(dataFile), readOnly: true },
        ],
      },
    ],
    volumes: [
      { name: 'kubewire', hostPath: { path: PROJECT, type: 'Directory' } },
      { name: 'data', hostPath: { path: dirname(dataFile), type: 'DirectoryOrCreate' } },
    ],
  };
}
