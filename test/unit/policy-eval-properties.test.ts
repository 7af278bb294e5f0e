// Metamorphic properties of the evaluator over random requests (all features: root users, session
// policies, trust and key policies): changes that must, or must not, move a decision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { evaluate, type EvalRequest, type PolicyInput } from '../../src/domain/aws/policy-eval.ts';
import type { PolicyStatement } from '../../src/domain/aws/policy.ts';
import { requestArb } from '../helpers/iam-arbitraries.ts';

const RUNS = 400;
const arb = requestArb({ withRoot: true, withSessionPolicies: true, withTrustKinds: true });
const signed = (req: EvalRequest) => req.principal.kind !== 'anonymous';

/** A copy of `p` with its statements mapped (a new document object, so nothing compiled is reused). */
const mapStatements = (p: PolicyInput, f: (s: PolicyStatement[]) => PolicyStatement[]): PolicyInput => ({ id: p.id, document: { ...p.document, Statement: f([...p.document.Statement]) } });
/** The request with every policy mapped. */
function mapPolicies(req: EvalRequest, f: (p: PolicyInput) => PolicyInput): EvalRequest {
  return {
    ...req,
    identityPolicies: req.identityPolicies.map(f),
    resourcePolicies: req.resourcePolicies.map(f),
    ...(req.permissionsBoundary ? { permissionsBoundary: f(req.permissionsBoundary) } : {}),
    ...(req.sessionPolicies ? { sessionPolicies: req.sessionPolicies.map(f) } : {}),
  };
}

/** A seeded permutation (mulberry32 + Fisher-Yates), so fast-check can replay it. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test('adding a matching Deny anywhere always yields ExplicitDeny', () => {
  const where = fc.constantFrom('identity', 'resource', 'boundary', 'session');
  fc.assert(fc.property(arb, where, (req, place) => {
    const denyAll: PolicyStatement = { Effect: 'Deny', Action: req.action, Resource: '*' };
    let changed: EvalRequest;
    if (place === 'identity' && signed(req)) changed = { ...req, identityPolicies: [...req.identityPolicies, { id: 'added', document: { Version: '2012-10-17', Statement: [denyAll] } }] };
    else if (place === 'boundary' && req.permissionsBoundary) changed = { ...req, permissionsBoundary: mapStatements(req.permissionsBoundary, (s) => [...s, denyAll]) };
    else if (place === 'session' && req.sessionPolicies) changed = { ...req, sessionPolicies: [...req.sessionPolicies, { id: 'added', document: { Version: '2012-10-17', Statement: [denyAll] } }] };
    else changed = { ...req, resourcePolicies: [...req.resourcePolicies, { id: 'added', document: { Version: '2008-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: '*' }] } }] };
    assert.equal(evaluate(changed).decision, 'ExplicitDeny');
  }), { numRuns: RUNS });
});

test('adding an unrelated Allow changes nothing, and no added Allow lifts an explicit deny', () => {
  const unrelated = fc.constantFrom<[string, PolicyStatement]>(
    ['identity', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
    ['identity', { Effect: 'Allow', Action: '*', Resource: 'arn:aws:ecr:*:*:repository/unrelated' }],
    ['resource', { Effect: 'Allow', Principal: { AWS: '333333333333' }, Action: '*' }],
    ['resource', { Effect: 'Allow', Principal: '*', Action: 'ecr:GetAuthorizationToken' }],
  );
  fc.assert(fc.property(arb, unrelated, fc.boolean(), (req, [side, statement], broadToo) => {
    const add = (st: PolicyStatement): EvalRequest => side === 'identity'
      ? { ...req, identityPolicies: [...req.identityPolicies, { id: 'added', document: { Version: '2012-10-17', Statement: [st] } }] }
      : { ...req, resourcePolicies: [...req.resourcePolicies, { id: 'added', document: { Version: '2012-10-17', Statement: [st] } }] };
    const before = evaluate(req);
    assert.equal(evaluate(add(statement)).decision, before.decision);
    if (broadToo && before.decision === 'ExplicitDeny') {
      const broad: PolicyStatement = side === 'identity' ? { Effect: 'Allow', Action: '*', Resource: '*' } : { Effect: 'Allow', Principal: '*', Action: '*' };
      assert.equal(evaluate(add(broad)).decision, 'ExplicitDeny');
    }
  }), { numRuns: RUNS });
});

test('the case of action names, in the request or in policies, never changes a decision', () => {
  const recase = (s: string, seed: number) => [...s].map((c, i) => (((seed >>> (i % 31)) & 1) ? c.toUpperCase() : c.toLowerCase())).join('');
  fc.assert(fc.property(arb, fc.integer(), (req, seed) => {
    const actions = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v.map((a) => recase(a, seed)) : recase(v, seed));
    const changed = mapPolicies({ ...req, action: recase(req.action, ~seed) }, (p) => mapStatements(p, (sts) => sts.map((st) => ({
      ...st, ...(st.Action !== undefined ? { Action: actions(st.Action) } : {}), ...(st.NotAction !== undefined ? { NotAction: actions(st.NotAction) } : {}),
    }))));
    assert.equal(evaluate(changed).decision, evaluate(req).decision);
  }), { numRuns: RUNS });
});

test('the order of statements and of policies never changes a decision or its reason', () => {
  fc.assert(fc.property(arb, fc.integer(), (req, seed) => {
    const shuffled = mapPolicies(req, (p) => mapStatements(p, (sts) => shuffle(sts, seed)));
    const changed = { ...shuffled, identityPolicies: shuffle(shuffled.identityPolicies, ~seed), ...(shuffled.sessionPolicies ? { sessionPolicies: shuffle(shuffled.sessionPolicies, seed ^ 7) } : {}) };
    const a = evaluate(req);
    const b = evaluate(changed);
    assert.equal(b.decision, a.decision);
    assert.equal(b.reason, a.reason);
    assert.deepEqual(new Set(b.missingContextKeys), new Set(a.missingContextKeys));
  }), { numRuns: RUNS });
});

test('XIfExists on a key the request has equals X', () => {
  fc.assert(fc.property(arb, (req) => {
    const present = new Set(Object.entries(req.context).filter(([, v]) => !Array.isArray(v) || v.length > 0).map(([k]) => k.toLowerCase()));
    if (signed(req)) present.add('aws:principalarn').add('aws:principalaccount');
    let touched = 0;
    const changed = mapPolicies(req, (p) => mapStatements(p, (sts) => sts.map((st) => {
      if (!st.Condition) return st;
      const condition: Record<string, Record<string, unknown>> = {};
      for (const [op, byKey] of Object.entries(st.Condition)) {
        const eligible = op !== 'Null' && !op.endsWith('IfExists') && !(`${op}IfExists` in st.Condition) && Object.keys(byKey).every((k) => present.has(k.toLowerCase()));
        if (eligible) touched++;
        condition[eligible ? `${op}IfExists` : op] = byKey;
      }
      return { ...st, Condition: condition };
    })));
    fc.pre(touched > 0);
    assert.equal(evaluate(changed).decision, evaluate(req).decision);
  }), { numRuns: RUNS });
});
