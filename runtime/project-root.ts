// Where kubewire's files are at run time: native-scripts/, labs/, and the compiled dist/ tree.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder: $KUBEWIRE_ROOT, else two levels above dist/runtime/. */
export function projectRoot(): string {
  return process.env.KUBEWIRE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export const scriptsDir = (root = projectRoot()) => join(root, 'native-scripts');
export const pauseBinary = (root = projectRoot()) => join(root, 'dist', 'native', 'pause');
export const imagesDir = (root = projectRoot()) => join(root, 'dist', 'runtime', 'images');
export const defaultTopology = (root = projectRoot()) => join(root, 'labs', 'topologies', 'article.yaml');
export const labsDir = (root = projectRoot()) => join(root, 'labs');
export const kubewireBin = (root = projectRoot()) => join(root, 'bin', 'kubewire.js');
export const cliMain = (root = projectRoot()) => join(root, 'dist', 'cli', 'main.js');
export const nodeInitBinary = (root = projectRoot()) => join(root, 'dist', 'native', 'node-init');
export const nodeToolsMain = (root = projectRoot()) => join(root, 'dist', 'cli', 'node-tools-main.js');
export const netnsAddon = (root = projectRoot()) => join(root, 'dist', 'native', 'netns.node');
