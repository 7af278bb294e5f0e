// Schema migrations for the SQLite metadata store, applied in order; PRAGMA user_version records
// how many have run. Append new migrations; never edit one that has shipped.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE repositories (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
  );
  CREATE TABLE blobs (
    digest      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE repository_blobs (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT NOT NULL REFERENCES blobs(digest),
    linked_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX repository_blobs_digest ON repository_blobs(digest);
  CREATE TABLE manifests (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          INTEGER NOT NULL,
    bytes         BLOB NOT NULL,
    artifact_type TEXT,
    subject       TEXT,
    annotations   TEXT,
    pushed_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX manifests_subject ON manifests(repository_id, subject) WHERE subject IS NOT NULL;
  CREATE TABLE manifest_references (
    repository_id   INTEGER NOT NULL,
    manifest_digest TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
    digest          TEXT NOT NULL,
    PRIMARY KEY (repository_id, manifest_digest, kind, digest),
    FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX manifest_references_digest ON manifest_references(digest);
  CREATE TABLE tags (
    repository_id INTEGER NOT NULL,
    name          TEXT NOT NULL,
    digest        TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, name),
    FOREIGN KEY (repository_id, digest) REFERENCES manifests(repository_id, digest) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX tags_digest ON tags(repository_id, digest);
  CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    started_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_started ON uploads(started_at);
  `,
  // 2: ECR control plane — repository settings and tags, image facts, access keys, registry settings.
  `
  ALTER TABLE repositories ADD COLUMN image_tag_mutability TEXT NOT NULL DEFAULT 'MUTABLE';
  ALTER TABLE repositories ADD COLUMN mutability_filters TEXT;
  ALTER TABLE repositories ADD COLUMN scan_on_push INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE repositories ADD COLUMN encryption_type TEXT NOT NULL DEFAULT 'AES256';
  ALTER TABLE repositories ADD COLUMN kms_key TEXT;
  ALTER TABLE repositories ADD COLUMN policy_text TEXT;
  CREATE TABLE repository_tags (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (repository_id, key)
  ) WITHOUT ROWID;
  ALTER TABLE manifests ADD COLUMN image_size INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE manifests ADD COLUMN config_media_type TEXT;
  ALTER TABLE manifests ADD COLUMN last_pulled_at INTEGER;
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    sealed_secret TEXT NOT NULL,
    principal_arn TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX access_keys_principal ON access_keys(principal_arn);
  CREATE TABLE registry_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 3: garbage collection — when a blob was last linked or installed (the grace window starts there).
  `
  ALTER TABLE blobs ADD COLUMN touched_at INTEGER NOT NULL DEFAULT 0;
  UPDATE blobs SET touched_at = created_at;
  CREATE INDEX blobs_touched ON blobs(touched_at);
  `,
  // 4: archive storage class and pull-time update exclusions.
  `
  ALTER TABLE manifests ADD COLUMN image_status TEXT NOT NULL DEFAULT 'ACTIVE';
  ALTER TABLE manifests ADD COLUMN last_archived_at INTEGER;
  ALTER TABLE manifests ADD COLUMN last_activated_at INTEGER;
  CREATE TABLE pull_time_exclusions (
    principal_arn TEXT PRIMARY KEY,
    created_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 5: lifecycle policies and their previews.
  `
  ALTER TABLE repositories ADD COLUMN lifecycle_policy TEXT;
  ALTER TABLE repositories ADD COLUMN lifecycle_evaluated_at INTEGER;
  CREATE TABLE lifecycle_previews (
    repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    policy_text   TEXT NOT NULL,
    status        TEXT NOT NULL,
    results       TEXT,
    started_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 6: garbage collection safety (docs/lifecycle.md "Garbage collection"): a blob row's incarnation
  // (new random value whenever the row is created), the collector's deletion mark, and a trigger that
  // restarts a blob's grace period whenever a manifest naming it is deleted (any path, cascades too).
  // wharf_now_ms() is registered by the adapter on every connection (the store's clock).
  `
  ALTER TABLE blobs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE blobs ADD COLUMN marked_at INTEGER;
  ALTER TABLE blobs ADD COLUMN marked_by TEXT;
  CREATE INDEX blobs_marked ON blobs(marked_at) WHERE marked_at IS NOT NULL;
  CREATE TRIGGER manifest_references_released AFTER DELETE ON manifest_references
  BEGIN
    UPDATE blobs SET touched_at = max(touched_at, wharf_now_ms()) WHERE digest = old.digest;
  END;
  `,
  // 7: IAM identity records (docs/storage.md "Identity records"). Names are unique per account without
  // regard to ASCII case (COLLATE NOCASE); policies, keys and tags hang on the owner's id, so renames
  // keep them. Existing access keys get their account from their principal ARN and stay root keys.
  `
  CREATE TABLE iam_accounts (
    id          TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE iam_users (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE,
    path         TEXT NOT NULL,
    boundary_arn TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, name)
  ) WITHOUT ROWID;
  ALTER TABLE access_keys ADD COLUMN account_id TEXT;
  ALTER TABLE access_keys ADD COLUMN user_id TEXT REFERENCES iam_users(id);
  ALTER TABLE access_keys ADD COLUMN last_used_at INTEGER;
  ALTER TABLE access_keys ADD COLUMN last_used_service TEXT;
  ALTER TABLE access_keys ADD COLUMN last_used_region TEXT;
  UPDATE access_keys SET account_id = substr(principal_arn, 14, 12) WHERE principal_arn LIKE 'arn:aws:iam::%';
  CREATE INDEX access_keys_user ON access_keys(user_id) WHERE user_id IS NOT NULL;
  CREATE TABLE iam_roles (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    name                 TEXT NOT NULL COLLATE NOCASE,
    path                 TEXT NOT NULL,
    trust_policy         TEXT NOT NULL,
    description          TEXT,
    max_session_duration INTEGER NOT NULL,
    boundary_arn         TEXT,
    created_at           INTEGER NOT NULL,
    last_used_at         INTEGER,
    last_used_region     TEXT,
    UNIQUE (account_id, name)
  ) WITHOUT ROWID;
  CREATE TABLE iam_policies (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    name            TEXT NOT NULL COLLATE NOCASE,
    path            TEXT NOT NULL,
    arn             TEXT NOT NULL UNIQUE,
    description     TEXT,
    default_version INTEGER NOT NULL,
    next_version    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (account_id, name)
  ) WITHOUT ROWID;
  CREATE TABLE iam_policy_versions (
    policy_id   TEXT NOT NULL REFERENCES iam_policies(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    document    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (policy_id, version)
  ) WITHOUT ROWID;
  CREATE TABLE iam_inline_policies (
    owner_id  TEXT NOT NULL,
    name      TEXT NOT NULL COLLATE NOCASE,
    document  TEXT NOT NULL,
    size      INTEGER NOT NULL,
    PRIMARY KEY (owner_id, name)
  ) WITHOUT ROWID;
  CREATE TABLE iam_attachments (
    owner_id    TEXT NOT NULL,
    policy_arn  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (owner_id, policy_arn)
  ) WITHOUT ROWID;
  CREATE INDEX iam_attachments_policy ON iam_attachments(policy_arn);
  CREATE TABLE iam_oidc_providers (
    arn          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    url          TEXT NOT NULL,
    url_key      TEXT NOT NULL,
    client_ids   TEXT NOT NULL,
    thumbprints  TEXT NOT NULL,
    jwks         TEXT,
    jwks_file    TEXT,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, url_key)
  ) WITHOUT ROWID;
  CREATE TABLE iam_tags (
    resource_id TEXT NOT NULL,
    key         TEXT NOT NULL COLLATE NOCASE,
    value       TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (resource_id, key)
  ) WITHOUT ROWID;
  `,
  // 8: access_version, a counter that every change to what access decisions read moves (repository
  // policies and tags, registry settings, IAM users, roles, policies, attachments and tags; not
  // usage records such as last-used times), so decisions can be cached until it moves, in every
  // process on this database.
  `
  CREATE TABLE access_version (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    v   INTEGER NOT NULL
  );
  INSERT INTO access_version (id, v) VALUES (1, 0);
  CREATE TRIGGER access_version_repository_tags_insert AFTER INSERT ON repository_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_repository_tags_update AFTER UPDATE ON repository_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_repository_tags_delete AFTER DELETE ON repository_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_registry_settings_insert AFTER INSERT ON registry_settings BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_registry_settings_update AFTER UPDATE ON registry_settings BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_registry_settings_delete AFTER DELETE ON registry_settings BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policy_versions_insert AFTER INSERT ON iam_policy_versions BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policy_versions_update AFTER UPDATE ON iam_policy_versions BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policy_versions_delete AFTER DELETE ON iam_policy_versions BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_inline_policies_insert AFTER INSERT ON iam_inline_policies BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_inline_policies_update AFTER UPDATE ON iam_inline_policies BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_inline_policies_delete AFTER DELETE ON iam_inline_policies BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_attachments_insert AFTER INSERT ON iam_attachments BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_attachments_update AFTER UPDATE ON iam_attachments BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_attachments_delete AFTER DELETE ON iam_attachments BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_tags_insert AFTER INSERT ON iam_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_tags_update AFTER UPDATE ON iam_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_tags_delete AFTER DELETE ON iam_tags BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_repositories_insert AFTER INSERT ON repositories BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_repositories_delete AFTER DELETE ON repositories BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_repositories_update AFTER UPDATE OF name, policy_text ON repositories BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_users_insert AFTER INSERT ON iam_users BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_users_delete AFTER DELETE ON iam_users BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_users_update AFTER UPDATE OF name, path, boundary_arn ON iam_users BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_roles_insert AFTER INSERT ON iam_roles BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_roles_delete AFTER DELETE ON iam_roles BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_roles_update AFTER UPDATE OF name, path, trust_policy, max_session_duration, boundary_arn ON iam_roles BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policies_insert AFTER INSERT ON iam_policies BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policies_delete AFTER DELETE ON iam_policies BEGIN UPDATE access_version SET v = v + 1; END;
  CREATE TRIGGER access_version_iam_policies_update AFTER UPDATE OF name, path, default_version ON iam_policies BEGIN UPDATE access_version SET v = v + 1; END;
  `,
];
