// IdentityStore: access keys and the principals they belong to.
export interface AccessKeyRecord {
  readonly accessKeyId: string;
  /** The secret access key sealed by a SecretBox; never stored in clear. */
  readonly sealedSecret: string;
  /** e.g. arn:aws:iam::123456789012:root or arn:aws:iam::123456789012:user/alice */
  readonly principalArn: string;
  readonly status: 'Active' | 'Inactive';
  readonly createdAt: Date;
}

export interface IdentityStore {
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Inserts or replaces the key with this id. */
  putAccessKey(key: AccessKeyRecord): Promise<void>;
  /** Keys of one principal, oldest first. */
  listAccessKeys(principalArn: string): Promise<AccessKeyRecord[]>;
}
