// The built-in images at `npm start`: built on the machine's first start (progress on stderr),
// found in the store on every later one (nothing is built, a few milliseconds).
import { describeError } from '../../common/errors.js';
import { familiarName, parseImageRef } from '../../runtime/images/image-ref.js';
import { openLabImageService } from '../../runtime/images/open-image-service.js';

export async function ensureBuiltinImages(): Promise<void> {
  const t0 = Date.now();
  let built = false;
  try {
    const svc = await openLabImageService();
    await svc.ensureBuiltins({
      onProgress: (p) => {
        built = true;
        console.error(`kubewire: image ${familiarName(parseImageRef(p.ref))}: ${p.phase}`);
      },
    });
    if (built)
      console.error(
        `kubewire: built-in images ready in ${((Date.now() - t0) / 1000).toFixed(0)} s (cached from now on)`,
      );
    // Untagged leftovers (older recipe versions, removed images) older than the grace period.
    const gc = await svc.gc();
    if (gc.removedBlobs.length || gc.removedLayers.length)
      console.error(
        `kubewire: image store: removed ${gc.removedBlobs.length} unused blobs, ${gc.removedLayers.length} layers`,
      );
  } catch (err) {
    // The lab still comes up; a pod whose image is missing shows ErrImagePull with this reason.
    console.error(`kubewire: building the built-in images failed: ${describeError(err)}`);
  }
}
