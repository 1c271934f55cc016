// The composition root of the machine's image service: the shared store, the built-ins, and the
// registries (mirrors from the lab's own registry, when one runs, then upstream).
import { readFile } from 'node:fs/promises';
import { openImageService, type LocalImageService } from './local-image-service.js';
import { imageStoreDir } from './oci-store.js';
import { RegistryPuller, type RegistryConfig } from './registry-puller.js';

/**
 * Opens the store at $KUBEWIRE_IMAGE_DIR or /var/lib/kubewire/images. Registry settings come from
 * `config`, else from the JSON file $KUBEWIRE_REGISTRIES (a RegistryConfig), else upstream only.
 */
export async function openLabImageService(config?: RegistryConfig, dir = imageStoreDir()): Promise<LocalImageService> {
  let cfg = config;
  if (!cfg && process.env.KUBEWIRE_REGISTRIES)
    cfg = JSON.parse(await readFile(process.env.KUBEWIRE_REGISTRIES, 'utf8')) as RegistryConfig;
  return openImageService({ dir, puller: (store) => new RegistryPuller(store, cfg ?? {}) });
}
