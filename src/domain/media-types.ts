// Media types Wharf knows by name.
export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export const MANIFEST_TYPES: readonly string[] = [MT.dockerManifest, MT.dockerManifestList, MT.ociManifest, MT.ociIndex];
export const INDEX_TYPES: readonly string[] = [MT.dockerManifestList, MT.ociIndex];

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}

/** The layer types registries may not hold (Docker foreign, OCI non-distributable), exactly these. */
export const NON_DISTRIBUTABLE_TYPES: readonly string[] = [
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
];

/**
 * True for a non-distributable (foreign) layer type. Such a layer with `urls` is fetched from there,
 * so its presence in the registry is not required; without `urls` it must be present like any other.
 */
export function isNonDistributable(mediaType: string): boolean {
  return NON_DISTRIBUTABLE_TYPES.includes(mediaType);
}
