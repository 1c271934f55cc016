// The layer table of DESIGN.md ("which way imports go") as an ESLint rule: every relative import is
// resolved to the area it lands in and checked against what the importing area may use.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Area of a project file: its top folder, or cluster/<component>. */
export function areaOf(file) {
  const parts = relative(root, file).split(sep);
  if (parts[0] === 'cluster' && parts.length > 2) return `cluster/${parts[1]}`;
  return parts[0];
}

const FREE = new Set(['cli', 'bench', 'test', 'scripts']);

/** What each area may import besides itself (DESIGN.md, "Where things live"). */
export const ALLOWED = {
  common: [],
  renderer: ['common'],
  electron: ['common'],
  server: ['common', 'runtime', 'cluster/client'],
  runtime: ['common'],
  'cluster/store': ['common'],
  'cluster/apiserver': ['cluster/store', 'common'],
  'cluster/client': ['common'],
  'cluster/leader': ['cluster/client', 'common'],
  'cluster/controllers': ['cluster/client', 'cluster/leader', 'common'],
  'cluster/scheduler': ['cluster/client', 'cluster/leader', 'common'],
  'cluster/proxy': ['cluster/client', 'common'],
  'cluster/agents': ['cluster/client', 'cluster/leader', 'cluster/proxy', 'common', 'runtime'],
};

/**
 * Narrow, named exceptions (importer → imported path prefix), each a composition root or shared
 * pure helper; anything else crossing a layer is an error.
 */
export const EXCEPTIONS = [
  // The desktop shell starts the UI server in its main process (VS Code's electron-main → node).
  ['electron/main.ts', 'server/ui-app.'],
  // The cluster process is the composition root of the control plane: it wires every component.
  ['cluster/agents/cluster-daemon.ts', 'cluster/'],
  // apimachinery-like pure helpers (quantities, label selectors) the scheduler shares with controllers.
  ['cluster/scheduler/', 'cluster/controllers/util/'],
  // The iptables view renders the cluster's Services in another kube-proxy format (pure, no IO).
  ['server/iptables/rule-formats.ts', 'cluster/proxy/render-formats.'],
  // Known debts, each removed by an open issue; a test fails when the importer no longer exists.
  // The apiserver reads kubelet log files in-process (issue 10 replaces it by the kubelet's server).
  // Only tests use it (issue 14 item 16: use it in the product or delete it).
  ['cluster/proxy/netns-iptables-restorer.ts', 'runtime/'],
];

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const NO_NODE = new Set(['common', 'renderer']);

function check(context, node) {
  const spec = node.source && node.source.value;
  if (typeof spec !== 'string') return;
  const file = context.filename;
  const from = areaOf(file);
  if (FREE.has(from) || !(from in ALLOWED)) return;
  if (!spec.startsWith('.')) {
    if (NO_NODE.has(from) && NODE_BUILTINS.has(spec)) {
      context.report({
        node: node.source,
        message: `${from}/ must not import Node's '${spec}': it also runs in the browser`,
      });
    }
    return;
  }
  const target = resolve(dirname(file), spec);
  const to = areaOf(target);
  if (to === from || ALLOWED[from].includes(to)) return;
  const relFile = relative(root, file).split(sep).join('/');
  const relTarget = relative(root, target).split(sep).join('/');
  if (EXCEPTIONS.some(([a, b]) => relFile.startsWith(a) && relTarget.startsWith(b))) return;
  context.report({
    node: node.source,
    message: `${from}/ may not import ${to}/ ('${spec}'); ${from}/ may use ${[from, ...ALLOWED[from]].join(', ')} (DESIGN.md layers)`,
  });
}

export const layersPlugin = {
  rules: {
    boundaries: {
      meta: { type: 'problem', schema: [] },
      create: (context) => ({
        ImportDeclaration: (n) => check(context, n),
        ExportNamedDeclaration: (n) => check(context, n),
        ExportAllDeclaration: (n) => check(context, n),
        ImportExpression: (n) => check(context, n),
      }),
    },
  },
};
