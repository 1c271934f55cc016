// "Show me" links in a guided lab's text: `[show me](show:topology node5/cni0 node5/veth123)` zooms
// the graph to those devices; `[the chain](show:iptables node5 nat POSTROUTING)` opens the iptables
// view on that chain; `show:cluster pods`, `show:path`. Names are as in lab.yaml's terminals: a node,
// `node/device`, `default_kubia-a` (a pod namespace), or anything with `{prefix}`.
export type ShowTarget =
  | { view: 'topology'; devices: { namespace: string; ifname?: string }[] }
  | { view: 'iptables'; namespace: string; table?: string; chain?: string }
  | { view: 'cluster'; kind?: string }
  | { view: 'path' };

const NAME = /^[a-z0-9{}_.-]{1,80}$/;
const DEVICE = /^[A-Za-z0-9_.@-]{1,15}$/;

/** Parses a link target; undefined when it is not a show: link (or is malformed). */
export function parseShowLink(href: string, prefix: string): ShowTarget | undefined {
  if (!href.startsWith('show:')) return undefined;
  const [view, ...args] = href.slice(5).trim().split(/\s+/);
  const ns = (name: string): string | undefined =>
    NAME.test(name)
      ? name.includes('{prefix}')
        ? name.replace(/\{prefix\}/g, prefix)
        : `${prefix}${name}`
      : undefined;
  switch (view) {
    case 'topology': {
      const devices: { namespace: string; ifname?: string }[] = [];
      for (const a of args) {
        const [n, dev] = a.split('/', 2);
        const namespace = n ? ns(n) : undefined;
        if (!namespace || (dev !== undefined && !DEVICE.test(dev))) return undefined;
        devices.push(dev ? { namespace, ifname: dev } : { namespace });
      }
      return devices.length ? { view, devices } : undefined;
    }
    case 'iptables': {
      const namespace = args[0] ? ns(args[0]) : undefined;
      if (!namespace) return undefined;
      const table = args[1] && /^(nat|filter|mangle|raw)$/.test(args[1]) ? args[1] : undefined;
      const chain = args[2] && /^[A-Za-z0-9_-]{1,40}$/.test(args[2]) ? args[2] : undefined;
      return { view, namespace, ...(table ? { table } : {}), ...(chain ? { chain } : {}) };
    }
    case 'cluster':
      return args[0] && /^[a-z]{1,30}$/.test(args[0]) ? { view, kind: args[0] } : { view };
    case 'path':
      return { view };
    default:
      return undefined;
  }
}
