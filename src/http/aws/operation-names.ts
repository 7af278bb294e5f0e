// The operation names of the IAM (2010-05-08) and STS (2011-06-15) API models, as botocore 1.43.11
// lists them (data/iam and data/sts service-2.json; Apache-2.0, see NOTICE): an Action of the
// model that Wharf does not implement yet is told apart from one that does not exist, and only
// these names become metric labels. Names only; the models' shapes are not copied.

/** Every operation of the IAM 2010-05-08 model. */
export const IAM_OPERATIONS: readonly string[] = [
  'AcceptDelegationRequest', 'AddClientIDToOpenIDConnectProvider', 'AddRoleToInstanceProfile',
  'AddUserToGroup', 'AssociateDelegationRequest', 'AttachGroupPolicy', 'AttachRolePolicy',
  'AttachUserPolicy', 'ChangePassword', 'CreateAccessKey', 'CreateAccountAlias',
  'CreateDelegationRequest', 'CreateGroup', 'CreateInstanceProfile', 'CreateLoginProfile',
  'CreateOpenIDConnectProvider', 'CreatePolicy', 'CreatePolicyVersion', 'CreateRole',
  'CreateSAMLProvider', 'CreateServiceLinkedRole', 'CreateServiceSpecificCredential', 'CreateUser',
  'CreateVirtualMFADevice', 'DeactivateMFADevice', 'DeleteAccessKey', 'DeleteAccountAlias',
  'DeleteAccountPasswordPolicy', 'DeleteGroup', 'DeleteGroupPolicy', 'DeleteInstanceProfile',
  'DeleteLoginProfile', 'DeleteOpenIDConnectProvider', 'DeletePolicy', 'DeletePolicyVersion',
  'DeleteRole', 'DeleteRolePermissionsBoundary', 'DeleteRolePolicy', 'DeleteSAMLProvider',
  'DeleteSSHPublicKey', 'DeleteServerCertificate', 'DeleteServiceLinkedRole',
  'DeleteServiceSpecificCredential', 'DeleteSigningCertificate', 'DeleteUser',
  'DeleteUserPermissionsBoundary', 'DeleteUserPolicy', 'DeleteVirtualMFADevice', 'DetachGroupPolicy',
  'DetachRolePolicy', 'DetachUserPolicy', 'DisableOrganizationsRootCredentialsManagement',
  'DisableOrganizationsRootSessions', 'DisableOutboundWebIdentityFederation', 'EnableMFADevice',
  'EnableOrganizationsRootCredentialsManagement', 'EnableOrganizationsRootSessions',
  'EnableOutboundWebIdentityFederation', 'GenerateCredentialReport', 'GenerateOrganizationsAccessReport',
  'GenerateServiceLastAccessedDetails', 'GetAccessKeyLastUsed', 'GetAccountAuthorizationDetails',
  'GetAccountPasswordPolicy', 'GetAccountSummary', 'GetContextKeysForCustomPolicy',
  'GetContextKeysForPrincipalPolicy', 'GetCredentialReport', 'GetDelegationRequest', 'GetGroup',
  'GetGroupPolicy', 'GetHumanReadableSummary', 'GetInstanceProfile', 'GetLoginProfile', 'GetMFADevice',
  'GetOpenIDConnectProvider', 'GetOrganizationsAccessReport', 'GetOutboundWebIdentityFederationInfo',
  'GetPolicy', 'GetPolicyVersion', 'GetRole', 'GetRolePolicy', 'GetSAMLProvider', 'GetSSHPublicKey',
  'GetServerCertificate', 'GetServiceLastAccessedDetails', 'GetServiceLastAccessedDetailsWithEntities',
  'GetServiceLinkedRoleDeletionStatus', 'GetUser', 'GetUserPolicy', 'ListAccessKeys',
  'ListAccountAliases', 'ListAttachedGroupPolicies', 'ListAttachedRolePolicies',
  'ListAttachedUserPolicies', 'ListDelegationRequests', 'ListEntitiesForPolicy', 'ListGroupPolicies',
  'ListGroups', 'ListGroupsForUser', 'ListInstanceProfileTags', 'ListInstanceProfiles',
  'ListInstanceProfilesForRole', 'ListMFADeviceTags', 'ListMFADevices', 'ListOpenIDConnectProviderTags',
  'ListOpenIDConnectProviders', 'ListOrganizationsFeatures', 'ListPolicies',
  'ListPoliciesGrantingServiceAccess', 'ListPolicyTags', 'ListPolicyVersions', 'ListRolePolicies',
  'ListRoleTags', 'ListRoles', 'ListSAMLProviderTags', 'ListSAMLProviders', 'ListSSHPublicKeys',
  'ListServerCertificateTags', 'ListServerCertificates', 'ListServiceSpecificCredentials',
  'ListSigningCertificates', 'ListUserPolicies', 'ListUserTags', 'ListUsers', 'ListVirtualMFADevices',
  'PutGroupPolicy', 'PutRolePermissionsBoundary', 'PutRolePolicy', 'PutUserPermissionsBoundary',
  'PutUserPolicy', 'RejectDelegationRequest', 'RemoveClientIDFromOpenIDConnectProvider',
  'RemoveRoleFromInstanceProfile', 'RemoveUserFromGroup', 'ResetServiceSpecificCredential',
  'ResyncMFADevice', 'SendDelegationToken', 'SetDefaultPolicyVersion',
  'SetSecurityTokenServicePreferences', 'SimulateCustomPolicy', 'SimulatePrincipalPolicy',
  'TagInstanceProfile', 'TagMFADevice', 'TagOpenIDConnectProvider', 'TagPolicy', 'TagRole',
  'TagSAMLProvider', 'TagServerCertificate', 'TagUser', 'UntagInstanceProfile', 'UntagMFADevice',
  'UntagOpenIDConnectProvider', 'UntagPolicy', 'UntagRole', 'UntagSAMLProvider', 'UntagServerCertificate',
  'UntagUser', 'UpdateAccessKey', 'UpdateAccountPasswordPolicy', 'UpdateAssumeRolePolicy',
  'UpdateDelegationRequest', 'UpdateGroup', 'UpdateLoginProfile', 'UpdateOpenIDConnectProviderThumbprint',
  'UpdateRole', 'UpdateRoleDescription', 'UpdateSAMLProvider', 'UpdateSSHPublicKey',
  'UpdateServerCertificate', 'UpdateServiceSpecificCredential', 'UpdateSigningCertificate', 'UpdateUser',
  'UploadSSHPublicKey', 'UploadServerCertificate', 'UploadSigningCertificate'
];

/** Every operation of the STS 2011-06-15 model. */
export const STS_OPERATIONS: readonly string[] = [
  'AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'AssumeRoot',
  'DecodeAuthorizationMessage', 'GetAccessKeyInfo', 'GetCallerIdentity', 'GetDelegatedAccessToken',
  'GetFederationToken', 'GetSessionToken', 'GetWebIdentityToken'
];

/** The STS operations the model marks unsigned (`noAuth`): the only requests allowed without SigV4. */
export const STS_UNSIGNED_OPERATIONS: readonly string[] = ['AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'];
