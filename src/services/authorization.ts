// The one authorization point: every ECR operation and every /v2/ request asks here whether a
// principal may perform an IAM action on a resource. For now the account's root may do everything;
// identity, repository and registry policies come with access control.
import { errors } from '../domain/errors.ts';
import type { Principal } from './identity.ts';

export class AuthorizationService {
  /** Throws AccessDenied / DENIED with AWS's wording when the principal may not act. */
  authorize(principal: Principal, action: string, resourceArn: string): void {
    if (principal.kind === 'root') return;
    throw errors.denied({ reason: `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resourceArn} because no identity-based policy allows the ${action} action` });
  }
}
