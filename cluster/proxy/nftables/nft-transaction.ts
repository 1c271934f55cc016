// One `nft -f` transaction of kube-proxy's nftables proxier, full or partial, as syncProxyRules
// builds it since kube-proxy 1.31:
// - a full sync (first sync, after a failure, once an hour) writes the table's fixed part and
//   flushes the verdict maps, then writes every service port's chains and elements;
// - a partial sync writes only the chains of the services that changed (add + flush + rules) and
//   those of their map elements that differ from the last written ones (nftElementStorage: add
//   what is new, delete + add what changed, delete what is left over). Unchanged services are not
//   looked at: the cost of a partial sync grows with the change, not with the cluster.
// Chains no longer used are flushed now and deleted by a later transaction at least a second
// later (kernels before 6.2 notice a map element's chain reference going away late).
import type { NormalizedNodeConfig } from '../render-ruleset.js';
import {
  chainLines,
  deleteElementLine,
  elementLine,
  isNftServiceChain,
  NFT_TABLE,
  renderNftServicePort,
  renderNftSetup,
  type NftElement,
  type NftService,
  type NftServicePortRender,
} from './render-nft.js';

const T = `ip ${NFT_TABLE}`;

export interface NftServiceInput {
  key: string;
  /** Its ports as rendered now ([] when the service is gone). */
  ports: readonly NftServicePortRender[];
  /** Partial syncs: its ports as last written (absent for a new service). */
  previous?: readonly NftServicePortRender[];
}

export interface NftTransactionInput {
  config: NormalizedNodeConfig;
  full: boolean;
  /** Full syncs: every service, in output order. Partial syncs: only the changed ones. */
  services: readonly NftServiceInput[];
  /** Partial syncs: the maps' elements as last written ("map key" → element). */
  previousElements?: ReadonlyMap<string, NftElement>;
  /** Full syncs: service/endpoint chains and affinity sets in the table now (listed). */
  existingChains?: Iterable<string>;
  existingSets?: Iterable<string>;
  /** Chains flushed by an earlier transaction, at least a second ago: deleted now. */
  deleteChains?: readonly string[];
}

export interface NftTransaction {
  text: string;
  /** The chains of deleteChains that this transaction deletes. */
  deleted: string[];
  /** Service/endpoint chains of the services in the input, as written now. */
  activeChains: Set<string>;
  /** The maps' elements once this transaction applies (the input map, updated, on partial syncs). */
  elements: Map<string, NftElement>;
  /** Service/endpoint chains no longer used: flushed now, to be deleted later. */
  staleChains: string[];
  /** Service and endpoint chains (re)written. */
  chainsWritten: number;
  servicesWritten: number;
  elementsAdded: number;
  elementsDeleted: number;
}

const elementId = (e: Pick<NftElement, 'map' | 'key'>) => `${e.map} ${e.key}`;
const sameElement = (a: NftElement, b: NftElement) => a.value === b.value && a.comment === b.comment;

export function assembleNftTransaction(input: NftTransactionInput): NftTransaction {
  const { full } = input;
  const lines: string[] = full ? renderNftSetup(input.config) : [];
  // On a full sync the maps were flushed above; on a partial one, the last written elements.
  const elements = full ? new Map<string, NftElement>() : new Map(input.previousElements ?? []);
  const activeChains = new Set<string>();
  const activeSets = new Set<string>();
  let chainsWritten = 0;
  let elementsAdded = 0;
  let elementsDeleted = 0;

  // Partial syncs: elements the changed services no longer have are deleted first, so that a key
  // moving from one service to another (a cluster IP reused) is deleted before it is added again.
  const now = new Set<string>();
  for (const s of input.services) for (const p of s.ports) for (const e of p.elements) now.add(elementId(e));
  if (!full)
    for (const s of input.services)
      for (const p of s.previous ?? [])
        for (const e of p.elements) {
          const id = elementId(e);
          if (now.has(id) || !elements.has(id)) continue;
          lines.push(deleteElementLine(e));
          elements.delete(id);
          elementsDeleted++;
        }

  for (const s of input.services) {
    for (const p of s.ports) {
      for (const ch of p.chains) {
        activeChains.add(ch);
        lines.push(...chainLines(ch));
        chainsWritten++;
      }
      for (const set of p.sets) activeSets.add(set);
      lines.push(...p.setLines);
      for (const e of p.elements) {
        const id = elementId(e);
        const old = elements.get(id);
        if (old && sameElement(old, e)) continue;
        if (old) {
          lines.push(deleteElementLine(e));
          elementsDeleted++;
        }
        lines.push(elementLine(e));
        elements.set(id, e);
        elementsAdded++;
      }
      lines.push(...p.rules);
    }
  }

  // Chains and sets no longer used: on a full sync, those listed; on a partial one, those the
  // changed services had.
  const oldChains = new Set<string>(input.existingChains ?? []);
  const oldSets = new Set<string>(input.existingSets ?? []);
  if (!full)
    for (const s of input.services)
      for (const p of s.previous ?? []) {
        for (const ch of p.chains) oldChains.add(ch);
        for (const set of p.sets) oldSets.add(set);
      }
  // A chain that is used again is not deleted (it was flushed; its service rewrites it now).
  const deleted = (input.deleteChains ?? []).filter((ch) => !activeChains.has(ch));
  const deleting = new Set(deleted);
  const staleChains: string[] = [];
  for (const ch of oldChains) {
    if (!isNftServiceChain(ch) || activeChains.has(ch) || deleting.has(ch)) continue;
    lines.push(`flush chain ${T} ${ch}`);
    staleChains.push(ch);
  }
  for (const set of oldSets)
    if (set.startsWith('affinity-') && !activeSets.has(set)) lines.push(`delete set ${T} ${set}`);
  const head = deleted.map((ch) => `delete chain ${T} ${ch}`);
  const all = head.length ? head.concat(lines) : lines;
  return {
    text: all.length ? `${all.join('\n')}\n` : '',
    deleted,
    activeChains,
    elements,
    staleChains,
    chainsWritten,
    servicesWritten: input.services.filter((s) => s.ports.length).length,
    elementsAdded,
    elementsDeleted,
  };
}

/** The whole ruleset for these services, as a first sync on an empty node writes it. */
export function renderNft(input: { config: NormalizedNodeConfig; services: readonly NftService[] }): NftTransaction {
  return assembleNftTransaction({
    config: input.config,
    full: true,
    services: input.services.map((s) => ({
      key: s.port.serviceKey,
      ports: [renderNftServicePort(input.config, s.port, s.endpoints)],
    })),
  });
}
