// Pinned pod identities: the annotation `kubewire.io/pinned-pods` on a Deployment (copied to its
// ReplicaSets, as Deployment annotations are) lists, one per line, "NAME NODE [IP] [MAC]". The
// ReplicaSet controller gives a pod it creates the first free pin's name, asks the scheduler for the
// pin's node (nodeSelector kubernetes.io/hostname) and the kubelet's CNI call for its IP and MAC
// (annotations kubewire.io/ip, kubewire.io/mac → CNI_ARGS IP=, MAC=). This is how the article's six
// kubia pods (kubia-24hmb on node5 at 192.168.132.73 …) come back with the same identity after a
// delete while a ReplicaSet stays their one owner; pods beyond the pins get ordinary names.
import { ValidationError } from '../errors.js';
import { parseIpv4 } from '../net/ipv4.js';
import { isDnsLabel } from '../names.js';

export const ANNOTATION_PINNED_PODS = 'kubewire.io/pinned-pods';
/** The node label the pin's node is selected by (set by every kubelet on its Node). */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface PodPin {
  name: string;
  node: string;
  ip?: string;
  mac?: string;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IP_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Parses the annotation's text; `where` names it in errors. Throws ValidationError on any bad line. */
export function parsePodPins(text: string, where = ANNOTATION_PINNED_PODS): PodPin[] {
  const pins: PodPin[] = [];
  const names = new Set<string>();
  const ips = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const at = `${where} line ${i + 1}`;
    const [name, node, ...rest] = line.split(/\s+/);
    if (!name || !node) throw new ValidationError(at, `${JSON.stringify(line)}: expected "NAME NODE [IP] [MAC]"`);
    if (!isDnsLabel(name))
      throw new ValidationError(
        at,
        `${JSON.stringify(name)} is not a valid pod name (lowercase letters, digits, -; at most 63)`,
      );
    if (!isDnsLabel(node)) throw new ValidationError(at, `${JSON.stringify(node)} is not a valid node name`);
    if (names.has(name)) throw new ValidationError(at, `pod ${name} is pinned twice`);
    names.add(name);
    const pin: PodPin = { name, node };
    for (const w of rest) {
      if (IP_RE.test(w) && !pin.ip && !pin.mac) {
        try {
          parseIpv4(w);
        } catch (err) {
          throw new ValidationError(at, (err as Error).message);
        }
        if (ips.has(w)) throw new ValidationError(at, `IP ${w} is pinned twice`);
        ips.add(w);
        pin.ip = w;
      } else if (MAC_RE.test(w) && !pin.mac) {
        pin.mac = w;
      } else {
        throw new ValidationError(
          at,
          `${JSON.stringify(w)}: expected an IPv4 address and then a lowercase MAC like 3e:43:3e:1f:48:a1`,
        );
      }
    }
    pins.push(pin);
  });
  return pins;
}

/** The annotation text for these pins (the inverse of parsePodPins). */
export function formatPodPins(pins: readonly PodPin[]): string {
  return pins.map((p) => [p.name, p.node, p.ip, p.mac].filter(Boolean).join(' ')).join('\n') + '\n';
}
