// JwksFiles on the local filesystem: the JWKS file of an OIDC provider, read on each use, capped.
import { open } from 'node:fs/promises';
import type { JwksFiles } from '../../ports/jwks-files.ts';

/** A JWKS holds a few keys; anything larger is not one. */
const MAX_JWKS_BYTES = 1024 * 1024;

export const localJwksFiles: JwksFiles = {
  async read(path) {
    const f = await open(path, 'r');
    try {
      const size = (await f.stat()).size;
      if (size > MAX_JWKS_BYTES) throw new Error(`${path} is larger than ${MAX_JWKS_BYTES} bytes`);
      return await f.readFile({ encoding: 'utf8' });
    } finally {
      await f.close();
    }
  },
};
