// JwksFiles: reads the JWKS file an OIDC provider names (CreateOpenIDConnectProvider's Wharf extension
// `jwksFile`), so AssumeRoleWithWebIdentity can verify an issuer's tokens without any network access.
export interface JwksFiles {
  /**
   * The text of the file at `path`, read now (a replaced file takes effect on the next token).
   * Rejects when the file cannot be read (missing, unreadable, a directory) or is over 1 MiB.
   */
  read(path: string): Promise<string>;
}
