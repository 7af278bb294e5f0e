// UpdateImageStorageClass: the ECR shape over services/archive.ts (archive an image, or restore it).
import type { ImageId } from '../../../services/images.ts';
import type { OperationTable } from '../context.ts';

export const archiveOperations: OperationTable = {
  UpdateImageStorageClass: {
    async handler(ctx, input: { registryId?: string; repositoryName: string; imageId: ImageId; targetStorageClass: 'STANDARD' | 'ARCHIVE' }) {
      // Only the two known members, as the client sent them.
      const id: ImageId = {
        ...(input.imageId.imageDigest !== undefined ? { imageDigest: input.imageId.imageDigest } : {}),
        ...(input.imageId.imageTag !== undefined ? { imageTag: input.imageId.imageTag } : {}),
      };
      const r = await ctx.services.archive.updateStorageClass(input.repositoryName, id, input.targetStorageClass);
      return { registryId: ctx.registryId, repositoryName: input.repositoryName, imageId: r.imageId, imageStatus: r.imageStatus };
    },
  },
};
