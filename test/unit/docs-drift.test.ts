// Docs cannot drift: every config key, env var, CLI command, error id (with its codes) and implemented
// AWS operation must appear in docs/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCli } from '../../src/cli/main.ts';
import { CONFIG_KEYS, envName } from '../../src/config/schema.ts';
import { allErrorSpecs } from '../../src/domain/errors.ts';
import { ROOT } from '../helpers/server.ts';

const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

test('docs/configuration.md lists every config key with its environment variable', () => {
  const text = doc('configuration.md');
  for (const key of CONFIG_KEYS) {
    assert.ok(text.includes(`| \`${key}\` | \`${envName(key)}\``), `configuration.md lacks a row for ${key} / ${envName(key)}`);
  }
});

test('docs/configuration.md lists every CLI command and flag', () => {
  const text = doc('configuration.md');
  const walk = (cmd: ReturnType<typeof buildCli>, prefix: string) => {
    for (const sub of cmd.commands) {
      const name = `${prefix} ${sub.name()}`.trim();
      if (sub.commands.length === 0) assert.ok(text.includes(`\`wharf ${name}`), `configuration.md lacks the command wharf ${name}`);
      for (const opt of sub.options) assert.ok(text.includes(`\`${opt.long}\``), `configuration.md lacks the flag ${opt.long} of ${name}`);
      walk(sub, name);
    }
  };
  walk(buildCli(), '');
});

test('docs/errors.md lists every registered error with its status and codes', () => {
  const text = doc('errors.md');
  for (const s of allErrorSpecs()) {
    const row = text.split('\n').find((l) => l.startsWith(`| \`${s.id}\` |`));
    assert.ok(row, `errors.md lacks ${s.id}`);
    assert.ok(row.includes(`| ${s.status} |`), `errors.md gives the wrong status for ${s.id}`);
    if (s.oci) assert.ok(row.includes(`\`${s.oci}\``), `errors.md lacks the OCI code of ${s.id}`);
    if (s.ecr) assert.ok(row.includes(`\`${s.ecr}\``), `errors.md lacks the ECR type of ${s.id}`);
    // The Query code: in the error's own row, or in the Query-protocol table (`| id | Code | status |`).
    if (s.query) {
      const inQueryTable = text.split('\n').some((l) => l.startsWith(`| \`${s.id}\` | \`${s.query}\` |`));
      assert.ok(row.includes(`\`${s.query}\``) || inQueryTable, `errors.md lacks the Query code of ${s.id}`);
    }
  }
});

test('the README opens with the start and test commands', () => {
  const head = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').slice(0, 6).join('\n');
  assert.match(head, /npm ci && npm start/);
  assert.match(head, /npm test/);
  assert.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /^npm test$/m);
});

test('docs/ecr-api.md names every implemented ECR operation', async () => {
  const { operations } = await import('../../src/http/ecr/ops/index.ts');
  const text = doc('ecr-api.md');
  for (const op of Object.keys(operations)) assert.ok(text.includes(`\`${op}\``), `ecr-api.md does not mention ${op}`);
});

test('docs/aws-api.md names every implemented IAM and STS operation', async () => {
  const { QUERY_SERVICES } = await import('../../src/http/aws/query-services.ts');
  const text = doc('aws-api.md');
  for (const service of QUERY_SERVICES) {
    for (const op of Object.keys(service.operations)) assert.ok(text.includes(`\`${op}\``), `aws-api.md does not mention ${service.title} ${op}`);
  }
});
