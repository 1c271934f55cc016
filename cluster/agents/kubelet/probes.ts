// The kubelet's prober: httpGet and tcpSocket probes go from the node's namespace to the pod's IP
// (as the real kubelet probes from the host), exec probes run inside the container's namespaces.
// A probe result turns into liveness/readiness after failureThreshold/successThreshold in a row.
import type { Container, Probe } from '../../../common/api-types.js';
import type { HostDriver } from '../../../runtime/host/host-driver.js';

export interface ProbeTarget {
  nodeNetns: string;
  podIP: string;
  /** Runs an exec probe's command in the container (CRI ExecSync); its exit code. */
  exec(cmd: string[], timeoutSeconds: number): Promise<number>;
}

function resolvePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/** Runs one probe; true = success. Never throws: an error is a failure. */
export async function runProbe(driver: HostDriver, probe: Probe, c: Container, t: ProbeTarget): Promise<boolean> {
  const timeoutS = probe.timeoutSeconds ?? 1;
  try {
    if (probe.exec) {
      return (await t.exec(probe.exec.command, timeoutS)) === 0;
    }
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port, c);
      if (!port) return false;
      const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
      const path = probe.httpGet.path ?? '/';
      const url = `${scheme}://${probe.httpGet.host ?? t.podIP}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      const r = await driver.exec(
        t.nodeNetns,
        ['curl', '-ks', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(timeoutS), '--', url],
        { timeoutMs: timeoutS * 1000 + 2000 },
      );
      const code = Number(r.stdout.trim());
      return code >= 200 && code < 400;
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, c);
      if (!port) return false;
      // Fixed program text; address and port arrive as positional parameters.
      const r = await driver.exec(
        t.nodeNetns,
        [
          'timeout',
          String(timeoutS),
          'bash',
          '-c',
          'exec 3<>"/dev/tcp/$0/$1"',
          probe.tcpSocket.host ?? t.podIP,
          String(port),
        ],
        { timeoutMs: timeoutS * 1000 + 2000 },
      );
      return r.exitCode === 0;
    }
  } catch {
    return false;
  }
  return false;
}

/** Per container and probe kind: counts consecutive results into a verdict. */
export class ProbeState {
  successes = 0;
  failures = 0;
  lastRun = 0;
  /** Readiness: starts false; liveness: starts true. */
  constructor(public ok: boolean) {}

  record(probe: Probe, success: boolean): boolean {
    if (success) {
      this.successes++;
      this.failures = 0;
      if (this.successes >= (probe.successThreshold ?? 1)) this.ok = true;
    } else {
      this.failures++;
      this.successes = 0;
      if (this.failures >= (probe.failureThreshold ?? 3)) this.ok = false;
    }
    return this.ok;
  }
}
