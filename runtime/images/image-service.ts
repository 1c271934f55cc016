// The contract between the image store (OCI layout, pulls, built-in images) and the container
// runtime that turns an image into a container's root filesystem. Both sides code against this
// file; neither imports the other's internals.

/** The parts of an OCI image config a runtime needs (image-spec `config` object). */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** "KEY=value" entries, as in the image config. */
  env?: string[];
  workingDir?: string;
  /** "uid", "uid:gid", "name" or "name:group", as in the image config. */
  user?: string;
  /** "8080/tcp" … */
  exposedPorts?: string[];
  labels?: Record<string, string>;
  stopSignal?: string;
}

/** An image present in the store, ready to be a container's root filesystem. */
export interface ResolvedImage {
  /** The reference the caller asked for, normalised (docker.io/library/nginx:latest). */
  ref: string;
  /** Digest of the image manifest (sha256:…), the image's identity. */
  digest: string;
  /** Digest of the config blob: Docker's and crictl's "image id". */
  id: string;
  /** Unpacked layer directories, lowest first: overlayfs lowerdirs (reverse them for `lowerdir=`). */
  layers: string[];
  config: ImageConfig;
  /** Bytes of the compressed layers, as `crictl images` shows. */
  size: number;
}

export interface ImageSummary {
  /** Every tag pointing at the image, normalised. */
  refs: string[];
  digest: string;
  id: string;
  size: number;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** A bearer token given directly (identitytoken / registrytoken of a docker config). */
  token?: string;
}

export interface PullOptions {
  policy: PullPolicy;
  /** Credentials by registry host, from the pod's imagePullSecrets. */
  auth?: Record<string, RegistryAuth>;
  onProgress?: (p: { ref: string; phase: string; done?: number; total?: number }) => void;
}

/** A pull that failed; `message` is the registry's own words where it gave any (shown in events). */
export class ImagePullError extends Error {
  constructor(
    message: string,
    readonly ref: string,
    /** 'NotFound' | 'Unauthorized' | 'Unreachable' | 'Invalid' | 'NeverPull' */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImagePullError';
  }
}

export interface ImageService {
  /** The image if it is in the store; never pulls. */
  resolve(ref: string): Promise<ResolvedImage | undefined>;
  /** Make the image present according to `policy` (built-in images are built, others pulled). */
  ensure(ref: string, opts: PullOptions): Promise<ResolvedImage>;
  list(): Promise<ImageSummary[]>;
  remove(ref: string): Promise<void>;
}
