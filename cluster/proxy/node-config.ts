// Checks kube-proxy's node settings and fills in kube-proxy's defaults (mark bit 14 → 0x4000,
// localhost NodePorts on, --random-fully on).
import { ValidationError } from '../../common/errors.js';
import { isIpv4, isIpv4Cidr } from '../../common/net/ipv4.js';
import type { ProxyNodeConfig } from './proxy-types.js';
import type { NormalizedNodeConfig } from './render-ruleset.js';

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Go's fmt.Sprintf("%#08x", v): eight hex digits after 0x. */
export function masqueradeMark(bit: number): string {
  return `0x${(2 ** bit).toString(16).padStart(8, '0')}`;
}

export function normalizeNodeConfig(cfg: ProxyNodeConfig, where = 'kube-proxy config'): NormalizedNodeConfig {
  if (!NODE_NAME.test(cfg.nodeName ?? ''))
    throw new ValidationError(`${where}: nodeName`, `is not a node name: ${JSON.stringify(cfg.nodeName)}`);
  if (cfg.clusterCIDR !== undefined && !isIpv4Cidr(cfg.clusterCIDR))
    throw new ValidationError(`${where}: clusterCIDR`, `is not an IPv4 CIDR: ${JSON.stringify(cfg.clusterCIDR)}`);
  const bit = cfg.masqueradeBit ?? 14;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31)
    throw new ValidationError(`${where}: masqueradeBit`, `must be 0-31, got ${JSON.stringify(bit)}`);
  let nodePortAddresses: string[] | undefined;
  if (cfg.nodePortAddresses !== undefined) {
    nodePortAddresses = cfg.nodePortAddresses.map((ip, i) => {
      if (!isIpv4(ip))
        throw new ValidationError(`${where}: nodePortAddresses[${i}]`, `is not an IPv4 address: ${JSON.stringify(ip)}`);
      return ip;
    });
  }
  // kube-proxy turns localhost NodePorts off when the NodePort addresses leave out loopback.
  const localhostNodePorts =
    (cfg.localhostNodePorts ?? true) &&
    (nodePortAddresses === undefined || nodePortAddresses.some((ip) => ip.startsWith('127.')));
  const out: NormalizedNodeConfig = {
    nodeName: cfg.nodeName,
    mark: masqueradeMark(bit),
    masqueradeAll: cfg.masqueradeAll ?? false,
    localhostNodePorts,
    conntrackTCPLiberal: cfg.conntrackTCPLiberal ?? false,
    randomFully: cfg.randomFully ?? true,
  };
  if (cfg.nodeIP !== undefined) {
    if (!isIpv4(cfg.nodeIP))
      throw new ValidationError(`${where}: nodeIP`, `is not an IPv4 address: ${JSON.stringify(cfg.nodeIP)}`);
    out.nodeIP = cfg.nodeIP;
  }
  if (cfg.clusterCIDR !== undefined) out.clusterCIDR = cfg.clusterCIDR;
  if (nodePortAddresses !== undefined) {
    out.nodePortAddresses = nodePortAddresses;
    const primary = nodePortAddresses.find((ip) => !ip.startsWith('127.'));
    if (primary && out.nodeIP === undefined) out.nodeIP = primary;
  }
  return out;
}
