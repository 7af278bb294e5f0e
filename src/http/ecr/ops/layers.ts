// Layer operations: BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart,
// CompleteLayerUpload, GetDownloadUrlForLayer. Uploads are the same sessions /v2/ uses, so a layer
// pushed here is pullable there and the reverse.
import { tryParseDigest } from '../../../domain/digest.ts';
import { errors } from '../../../domain/errors.ts';
import { presignedBlobUrl } from '../../oci/presigned.ts';
import { registryUrl, type OperationTable } from '../context.ts';

/** What InitiateLayerUpload advertises: ECR's value (10 MiB, the upper end of its 5-10 MiB part quota). */
export const PART_SIZE = 10 * 1024 * 1024;

/** ECR's layerDigest grammar (the model's pattern, anchored). */
const LAYER_DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

type LayerFailure = { layerDigest: string; failureCode: 'InvalidLayerDigest' | 'MissingLayerDigest'; failureReason: string };

export const layerOperations: OperationTable = {
  BatchCheckLayerAvailability: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; layerDigests: string[] }) {
      const repo = input.repositoryName;
      await ctx.services.repositories.require(repo);
      const layers: Record<string, unknown>[] = [];
      const failures: LayerFailure[] = [];
      for (const digest of new Set(input.layerDigests)) {
        if (digest === '') {
          failures.push({ layerDigest: digest, failureCode: 'MissingLayerDigest', failureReason: 'Invalid request parameters: layer digest cannot be null or empty' });
        } else if (!LAYER_DIGEST.test(digest) || !tryParseDigest(digest)) {
          failures.push({ layerDigest: digest, failureCode: 'InvalidLayerDigest', failureReason: `Invalid request parameters: layer digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'` });
        } else {
          const info = await ctx.services.blobs.linked(repo, digest);
          if (!info) layers.push({ layerDigest: digest, layerAvailability: 'UNAVAILABLE' });
          else {
            // ARCHIVED when only archived images use the layer (a client must restore one to pull it).
            const archived = await ctx.services.blobs.archivedOnly(repo, digest);
            // The media type the manifests give the layer; absent while no manifest names it (docs/ecr-api.md).
            const mediaType = await ctx.services.images.layerMediaType(repo, digest);
            layers.push({ layerDigest: digest, layerAvailability: archived ? 'ARCHIVED' : 'AVAILABLE', layerSize: info.size, mediaType });
          }
        }
      }
      return { layers, failures };
    },
  },

  InitiateLayerUpload: {
    async handler(ctx, input: { registryId?: string; repositoryName: string }) {
      const up = await ctx.services.blobs.startUpload(input.repositoryName);
      return { uploadId: up.id, partSize: PART_SIZE };
    },
  },

  UploadLayerPart: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; uploadId: string; partFirstByte: number; partLastByte: number; layerPartBlob: string }) {
      const bytes = Buffer.from(input.layerPartBlob, 'base64');
      const st = await ctx.services.blobs.appendPart(input.repositoryName, input.uploadId, bytes, input.partFirstByte, input.partLastByte);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, uploadId: st.id, lastByteReceived: st.size - 1 };
    },
  },

  CompleteLayerUpload: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; uploadId: string; layerDigests: string[] }) {
      if (input.layerDigests.length !== 1) {
        throw errors.invalidParameter({ field: 'layerDigests', reason: 'exactly one layer digest is required to complete a layer upload' });
      }
      const info = await ctx.services.blobs.completeLayer(input.repositoryName, input.uploadId, input.layerDigests[0]);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, uploadId: input.uploadId, layerDigest: info.digest };
    },
  },

  GetDownloadUrlForLayer: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; layerDigest: string }) {
      const repo = input.repositoryName;
      const digest = input.layerDigest;
      if (!tryParseDigest(digest)) {
        throw errors.invalidParameter({ field: 'layerDigest', reason: 'must be a sha256 or sha512 digest (algorithm:hex)' });
      }
      await ctx.services.blobs.readable(repo, digest);
      return { downloadUrl: presignedBlobUrl(registryUrl(ctx.config, ctx.registryId), repo, digest, ctx.services.downloadUrls.sign(repo, digest)), layerDigest: digest };
    },
  },
};
