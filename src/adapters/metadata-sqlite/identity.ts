// IdentityStore on the same SQLite database as the metadata (migration 7's iam_* tables and
// access_keys), assembled from one part per record kind. better-sqlite3 is synchronous, so every
// method's checks and writes run in one transaction without yielding (docs/storage.md "Identity records").
import type Database from 'better-sqlite3';
import type { IdentityStore } from '../../ports/identity-store.ts';
import { identityRows } from './identity-common.ts';
import { sqliteOidcProviders, sqliteTags } from './identity-oidc.ts';
import { sqlitePolicies, sqlitePrincipalPolicies } from './identity-policies.ts';
import { sqliteRoles } from './identity-roles.ts';
import { sqliteAccessKeys, sqliteAccounts, sqliteUsers } from './identity-users.ts';

export function sqliteIdentityStore(db: Database.Database): IdentityStore {
  const rows = identityRows(db);
  return {
    ...sqliteAccounts(db),
    ...sqliteAccessKeys(db),
    ...sqliteUsers(db, rows),
    ...sqliteRoles(db, rows),
    ...sqlitePolicies(db, rows),
    ...sqlitePrincipalPolicies(db, rows),
    ...sqliteOidcProviders(db, rows),
    ...sqliteTags(db, rows),
  };
}
