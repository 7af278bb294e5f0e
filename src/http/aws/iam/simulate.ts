// IAM's policy simulator over the Query protocol: SimulatePrincipalPolicy, SimulateCustomPolicy and
// GetContextKeysFor{Principal,Custom}Policy. Reads the members, asks services/iam/simulate.ts (which
// evaluates only the page asked for), and renders IAM's SimulatePolicyResponse and
// GetContextKeysForPolicyResponse in the model's member order.
import type { Decision } from '../../../domain/aws/policy-eval.ts';
import type { ContextEntry, SimulatedStatement, SimulationRequest, SimulationResult } from '../../../services/iam/simulate.ts';
import type { QueryContext, QueryOperationTable } from '../query-operations.ts';
import type { QueryParams } from '../query-params.ts';
import { struct, XmlMap, type Ordered } from '../xml.ts';
import { accountOf, pageWindow, pagingMembers, windowPage } from './common.ts';

const SIMULATE_RESULT = struct('EvaluationResults', 'IsTruncated', 'Marker');
const EVALUATION_RESULT = struct('EvalActionName', 'EvalResourceName', 'EvalDecision', 'MatchedStatements', 'MissingContextValues',
  'OrganizationsDecisionDetail', 'PermissionsBoundaryDecisionDetail', 'EvalDecisionDetails', 'ResourceSpecificResults');
const RESOURCE_RESULT = struct('EvalResourceName', 'EvalResourceDecision', 'MatchedStatements', 'MissingContextValues', 'EvalDecisionDetails', 'PermissionsBoundaryDecisionDetail');
const STATEMENT = struct('SourcePolicyId', 'SourcePolicyType', 'StartPosition', 'EndPosition');
const POSITION = struct('Line', 'Column');
const BOUNDARY_DETAIL = struct('AllowedByPermissionsBoundary');
const CONTEXT_KEYS = struct('ContextKeyNames');

/** PolicyEvaluationDecisionType. */
const DECISION: Record<Decision, string> = { Allow: 'allowed', ExplicitDeny: 'explicitDeny', ImplicitDeny: 'implicitDeny' };

const simulator = (ctx: QueryContext) => ctx.services.simulator;

/** `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`. */
function contextEntries(params: QueryParams): ContextEntry[] {
  return (params.structIndices('ContextEntries') ?? []).map((n) => {
    const at = `ContextEntries.member.${n}`;
    return { name: params.string(`${at}.ContextKeyName`), values: params.list(`${at}.ContextKeyValues`) ?? [], type: params.string(`${at}.ContextKeyType`) };
  });
}

/** The members both simulations share; PolicyInputList is required by SimulateCustomPolicy only. */
function simulationRequest(params: QueryParams, policiesRequired: boolean): SimulationRequest {
  return {
    actionNames: params.requiredList('ActionNames'),
    resourceArns: params.list('ResourceArns'),
    policyInputList: policiesRequired ? params.requiredList('PolicyInputList') : params.list('PolicyInputList'),
    permissionsBoundaryPolicyInputList: params.list('PermissionsBoundaryPolicyInputList'),
    resourcePolicy: params.string('ResourcePolicy'),
    resourceOwner: params.string('ResourceOwner'),
    callerArn: params.string('CallerArn'),
    contextEntries: contextEntries(params),
    // ResourceHandlingOption (IAM's EC2 scenarios) does not apply to a registry and is ignored.
  };
}

function statementShape(s: SimulatedStatement): Ordered {
  return STATEMENT({
    SourcePolicyId: s.sourcePolicyId, SourcePolicyType: s.sourcePolicyType,
    StartPosition: s.start && POSITION({ Line: s.start.line, Column: s.start.column }),
    EndPosition: s.end && POSITION({ Line: s.end.line, Column: s.end.column }),
  });
}

/**
 * An EvaluationResult. As in IAM, MissingContextValues is filled at the top for resource `*` and in the
 * one ResourceSpecificResults entry for a named resource; EvalDecisionDetails ("IAM Policy" and
 * "Resource Policy" decisions) appears when a resource policy took part, PermissionsBoundaryDecisionDetail
 * when a boundary did.
 */
function resultShape(r: SimulationResult): Ordered {
  const matched = r.matched.map(statementShape);
  const details = r.decisionDetails && new XmlMap([['IAM Policy', DECISION[r.decisionDetails.identity]], ['Resource Policy', DECISION[r.decisionDetails.resource]]]);
  const boundary = r.allowedByPermissionsBoundary === undefined ? undefined : BOUNDARY_DETAIL({ AllowedByPermissionsBoundary: r.allowedByPermissionsBoundary });
  const named = r.resource !== '*';
  return EVALUATION_RESULT({
    EvalActionName: r.action, EvalResourceName: r.resource, EvalDecision: DECISION[r.decision], MatchedStatements: matched,
    MissingContextValues: named ? [] : r.missingContextValues, PermissionsBoundaryDecisionDetail: boundary, EvalDecisionDetails: details,
    ResourceSpecificResults: named ? [RESOURCE_RESULT({
      EvalResourceName: r.resource, EvalResourceDecision: DECISION[r.decision], MatchedStatements: matched,
      MissingContextValues: r.missingContextValues, EvalDecisionDetails: details, PermissionsBoundaryDecisionDetail: boundary,
    })] : undefined,
  });
}

/** The resource of the principal operations: the user or role ARN as given (IAM's resource types user, group, role). */
const byPolicySource = (params: QueryParams): string => params.requiredString('PolicySourceArn');

export const simulateOperations: QueryOperationTable = {
  SimulatePrincipalPolicy: {
    resource: byPolicySource,
    handler: async (ctx, params) => {
      const window = pageWindow(params);
      const sim = await simulator(ctx).simulatePrincipalPolicy(accountOf(ctx), params.requiredString('PolicySourceArn'), simulationRequest(params, false),
        { start: window.start, count: window.maxItems });
      const page = windowPage(sim.results, sim.total, window);
      return SIMULATE_RESULT({ EvaluationResults: page.items.map(resultShape), ...pagingMembers(page) });
    },
  },
  SimulateCustomPolicy: {
    handler: async (ctx, params) => {
      const window = pageWindow(params);
      const sim = await simulator(ctx).simulateCustomPolicy(accountOf(ctx), simulationRequest(params, true), { start: window.start, count: window.maxItems });
      const page = windowPage(sim.results, sim.total, window);
      return SIMULATE_RESULT({ EvaluationResults: page.items.map(resultShape), ...pagingMembers(page) });
    },
  },
  GetContextKeysForPrincipalPolicy: {
    resource: byPolicySource,
    handler: async (ctx, params) => CONTEXT_KEYS({
      ContextKeyNames: await simulator(ctx).contextKeysForPrincipalPolicy(accountOf(ctx), params.requiredString('PolicySourceArn'), params.list('PolicyInputList')),
    }),
  },
  GetContextKeysForCustomPolicy: {
    handler: async (ctx, params) => CONTEXT_KEYS({ ContextKeyNames: simulator(ctx).contextKeysForCustomPolicy(params.requiredList('PolicyInputList')) }),
  },
};
