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
  /** The key with this id, whatever its status; undefined when there is none. Never cached. */
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  /** Inserts or replaces the key with this id. */
  putAccessKey(key: AccessKeyRecord): Promise<void>;
  /** Keys of one principal, oldest first. */
  listAccessKeys(principalArn: string): Promise<AccessKeyRecord[]>;
  /**
   * In one transaction: marks every key of `key.principalArn` Inactive and inserts `key` (which must
   * be Active and have a new id). Afterwards getAccessKey() of an older key returns it Inactive, in
   * this process and in any other process on the same store. Returns how many keys were deactivated.
   */
  replaceAccessKeys(key: AccessKeyRecord): Promise<number>;
}
