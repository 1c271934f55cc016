// The built-in "images": what a container of each runs, since a lab pod has no image filesystem.
// kubia is the book's app (answers "You've hit <hostname>"), netshoot/tools just wait so a learner
// can exec in; any other image needs `command` (run as given, with `args`).
import { join } from 'node:path';
import type { ContainerSpec } from '../../common/topology/types.js';

export class ImageResolver {
  constructor(
    private readonly imagesDir: string,
    private readonly nodeBinary = process.execPath,
  ) {}

  argv(c: ContainerSpec): string[] {
    const args = c.args ?? [];
    if (c.command) return [...c.command, ...args];
    const image = c.image.replace(/^.*\//, '').replace(/[:@].*$/, '');
    switch (image) {
      case 'kubia':
        return [this.nodeBinary, join(this.imagesDir, 'kubia.js'), ...args];
      case 'netshoot':
      case 'tools':
        return args.length ? args : ['sleep', 'infinity'];
      default:
        throw new Error(`unknown image ${c.image} for container ${c.name}`);
    }
  }
}
