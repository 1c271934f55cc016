// Which pinned identities (common/topology/pod-pins.ts) a ReplicaSet's next creates take. A pin is
// free when no pod of the namespace has its name; a pin whose name is still held by one of this
// owner's pods that is terminating is waited for (the replacement must come back as the same pod,
// not as a stranger), so those creates are deferred; the rest get ordinary generated names.
import type { KubeObject, Pod } from '../../../common/api-types.js';
import { ANNOTATION_IP, ANNOTATION_MAC } from '../../../common/topology/types.js';
import {
  ANNOTATION_PINNED_PODS,
  HOSTNAME_LABEL,
  parsePodPins,
  type PodPin,
} from '../../../common/topology/pod-pins.js';
import { controllerRefOf } from '../util/pods.js';

export interface PinPlan {
  /** Pins to create pods for, in pin order. */
  pinned: PodPin[];
  /** Creates left to ordinary names. */
  ordinary: number;
  /** Creates deferred until a terminating pinned pod is gone. */
  waiting: number;
}

/** The owner's pins; a malformed annotation pins nothing (the apiserver does not know our syntax). */
export function pinsOf(owner: KubeObject, onError?: (err: unknown) => void): PodPin[] {
  const text = owner.metadata.annotations?.[ANNOTATION_PINNED_PODS];
  if (!text) return [];
  try {
    return parsePodPins(text);
  } catch (err) {
    onError?.(err);
    return [];
  }
}

export function planPinnedCreates(
  pins: readonly PodPin[],
  namespacePods: readonly Pod[],
  ownerUid: string | undefined,
  count: number,
): PinPlan {
  const held = new Map(namespacePods.map((p) => [p.metadata.name, p]));
  const pinned: PodPin[] = [];
  let waiting = 0;
  for (const pin of pins) {
    if (pinned.length + waiting >= count) break;
    const holder = held.get(pin.name);
    if (!holder) pinned.push(pin);
    else if (holder.metadata.deletionTimestamp && controllerRefOf(holder)?.uid === ownerUid) waiting++;
  }
  return { pinned, ordinary: count - pinned.length - waiting, waiting };
}

/** The pod as created for this pin: its name, node selector and the address annotations. */
export function applyPin(pod: Pod, pin: PodPin): Pod {
  const out = structuredClone(pod);
  delete out.metadata.generateName;
  out.metadata.name = pin.name;
  const ann = { ...(out.metadata.annotations ?? {}) };
  if (pin.ip) ann[ANNOTATION_IP] = pin.ip;
  if (pin.mac) ann[ANNOTATION_MAC] = pin.mac;
  if (Object.keys(ann).length) out.metadata.annotations = ann;
  out.spec.nodeSelector = { ...(out.spec.nodeSelector ?? {}), [HOSTNAME_LABEL]: pin.node };
  return out;
}
