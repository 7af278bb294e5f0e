// The Query protocol's XML: results in the shape's member order, lists as <member>, empty lists,
// dates to the second in UTC, booleans, escaping, URL-encoded policy documents, operations without
// output, and errors with their Query code, status and Type.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { errors } from '../../src/domain/errors.ts';
import { encodePolicyDocument, isoSeconds, renderQueryError, renderQueryResult, struct, XmlMap } from '../../src/http/aws/xml.ts';

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const RID = '3f1c0c6e-0000-4000-8000-000000000001';
const META = `<ResponseMetadata><RequestId>${RID}</RequestId></ResponseMetadata>`;

const TAG = struct('Key', 'Value');
const USER = struct('Path', 'UserName', 'UserId', 'Arn', 'CreateDate', 'Tags');
const RESULT = struct('User');

describe('Query XML results', () => {
  test('members come in the shape\'s order whatever order the object lists them; lists are <member>; dates are ISO-8601 UTC seconds', () => {
    const user = USER({ Tags: [TAG({ Value: 'a', Key: 'team' }), TAG({ Key: 'env', Value: 'prod' })], CreateDate: new Date(Date.UTC(2026, 11, 3, 18, 10, 4, 789)), Arn: 'arn:aws:iam::123456789012:user/alice', UserId: 'AIDAEXAMPLE', UserName: 'alice', Path: '/' });
    assert.equal(renderQueryResult(NS, 'CreateUser', RESULT({ User: user }), RID),
      `<CreateUserResponse xmlns="${NS}"><CreateUserResult><User><Path>/</Path><UserName>alice</UserName><UserId>AIDAEXAMPLE</UserId>`
      + '<Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>2026-12-03T18:10:04Z</CreateDate>'
      + '<Tags><member><Key>team</Key><Value>a</Value></member><member><Key>env</Key><Value>prod</Value></member></Tags></User></CreateUserResult>'
      + `${META}</CreateUserResponse>`);
  });

  test('an empty list is an empty element; absent members are left out; booleans and numbers are text', () => {
    const LIST = struct('Users', 'IsTruncated', 'Marker', 'MaxItems');
    assert.equal(renderQueryResult(NS, 'ListUsers', LIST({ Users: [], IsTruncated: false, MaxItems: 0 }), RID),
      `<ListUsersResponse xmlns="${NS}"><ListUsersResult><Users></Users><IsTruncated>false</IsTruncated><MaxItems>0</MaxItems></ListUsersResult>${META}</ListUsersResponse>`);
  });

  test('a map is <entry><key/><value/></entry> per pair in the order given; an empty map is an empty element', () => {
    const EVAL = struct('EvalDecision', 'EvalDecisionDetails');
    const OUT = struct('EvaluationResults');
    const body = renderQueryResult(NS, 'SimulateCustomPolicy', OUT({ EvaluationResults: [
      EVAL({ EvalDecision: 'allowed', EvalDecisionDetails: new XmlMap([['IAM Policy', 'allowed'], ['Resource Policy', 'implicitDeny'], ['gone', undefined]]) }),
      EVAL({ EvalDecision: 'allowed', EvalDecisionDetails: new XmlMap([]) }),
    ] }), RID);
    assert.equal(body, `<SimulateCustomPolicyResponse xmlns="${NS}"><SimulateCustomPolicyResult><EvaluationResults>`
      + '<member><EvalDecision>allowed</EvalDecision><EvalDecisionDetails><entry><key>IAM Policy</key><value>allowed</value></entry>'
      + '<entry><key>Resource Policy</key><value>implicitDeny</value></entry></EvalDecisionDetails></member>'
      + '<member><EvalDecision>allowed</EvalDecision><EvalDecisionDetails></EvalDecisionDetails></member>'
      + `</EvaluationResults></SimulateCustomPolicyResult>${META}</SimulateCustomPolicyResponse>`);
  });

  test('an operation without output has no Result element, only the metadata', () => {
    assert.equal(renderQueryResult(NS, 'DeleteUser', undefined, RID), `<DeleteUserResponse xmlns="${NS}">${META}</DeleteUserResponse>`);
  });

  test('text is escaped (<, &, >, quotes) and parses back to the same string; characters XML cannot carry become U+FFFD', () => {
    const nasty = `a<b>&c "d" 'e' ]]> <![CDATA[x]]> </UserName>`;
    const body = renderQueryResult(NS, 'GetUser', RESULT({ User: USER({ UserName: nasty, Path: 'x\u0001y' }) }), RID);
    assert.ok(!body.includes('</UserName></UserName>'));
    assert.match(body, /<UserName>a&lt;b&gt;&amp;c &quot;d&quot; &apos;e&apos; \]\]&gt; &lt;!\[CDATA\[x\]\]&gt; &lt;\/UserName&gt;<\/UserName>/);
    const parsed = new XMLParser({ parseTagValue: false, trimValues: false }).parse(body);
    assert.equal(parsed.GetUserResponse.GetUserResult.User.UserName, nasty);
    assert.equal(parsed.GetUserResponse.GetUserResult.User.Path, 'x\uFFFDy');
  });

  test('policy documents are URL-encoded as encodeURIComponent does, so + and % survive the clients\' decoding', () => {
    const doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a+b%20c"}]}';
    const enc = encodePolicyDocument(doc);
    assert.equal(enc, encodeURIComponent(doc));
    assert.ok(!/[+"{}]/.test(enc));
    assert.equal(decodeURIComponent(enc), doc);
  });

  test('isoSeconds drops the milliseconds and keeps UTC', () => {
    assert.equal(isoSeconds(new Date('2026-01-02T03:04:05.999Z')), '2026-01-02T03:04:05Z');
  });
});

describe('Query XML errors', () => {
  const STS = 'https://sts.amazonaws.com/doc/2011-06-15/';

  test('an error renders ErrorResponse/Error{Type,Code,Message} and RequestId, with the Query status where it differs from JSON\'s', () => {
    const r = renderQueryError(errors.unrecognizedClient(), STS, RID);
    assert.equal(errors.unrecognizedClient.spec.status, 400, 'the JSON 1.1 status');
    assert.equal(r.status, 403);
    assert.equal(r.code, 'InvalidClientTokenId');
    assert.equal(r.body, `<ErrorResponse xmlns="${STS}"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>`
      + `<Message>The security token included in the request is invalid.</Message></Error><RequestId>${RID}</RequestId></ErrorResponse>`);
  });

  test('statuses and codes of the common errors', () => {
    const cases: [ReturnType<typeof errors.internal>, number, string][] = [
      [errors.invalidSignature({ reason: 'x' }), 403, 'SignatureDoesNotMatch'],
      [errors.missingAuthenticationToken(), 403, 'MissingAuthenticationToken'],
      [errors.incompleteSignature({ reason: 'x' }), 400, 'IncompleteSignature'],
      [errors.denied({ reason: 'no' }), 403, 'AccessDenied'],
      [errors.validation({ violations: ['v'] }), 400, 'ValidationError'],
      [errors.invalidAction({ action: 'A', version: 'V' }), 400, 'InvalidAction'],
      [errors.notImplemented({ service: 'STS', operation: 'GetSessionToken' }), 400, 'InvalidAction'],
      [errors.missingAction(), 400, 'MissingAction'],
      [errors.missingParameter({ name: 'Version' }), 400, 'MissingParameter'],
      [errors.requestEntityTooLarge({ limit: 1 }), 413, 'RequestEntityTooLarge'],
      [errors.tooManyRequests(), 400, 'Throttling'],
      [errors.shuttingDown(), 503, 'ServiceUnavailable'],
    ];
    for (const [err, status, code] of cases) {
      const r = renderQueryError(err, NS, RID);
      assert.deepEqual([r.status, r.code], [status, code], err.spec.id);
      assert.match(r.body, status >= 500 ? /<Type>Receiver<\/Type>/ : /<Type>Sender<\/Type>/);
    }
  });

  test('a 5xx is Type Receiver; an error without a Query code shows its catalogue id', () => {
    const internal = renderQueryError(errors.internal(), NS, RID);
    assert.deepEqual([internal.status, internal.code], [500, 'InternalFailure']);
    assert.match(internal.body, /<Type>Receiver<\/Type><Code>InternalFailure<\/Code><Message>internal server error<\/Message>/);
    const full = renderQueryError(errors.storageFull({ store: 'blob store' }), NS, RID);
    assert.deepEqual([full.status, full.code], [507, 'StorageFull']);
    assert.match(full.body, /<Type>Receiver<\/Type>/);
  });

  test('messages are escaped', () => {
    const r = renderQueryError(errors.denied({ reason: 'User: <x> & "y"' }), NS, RID);
    assert.match(r.body, /<Message>User: &lt;x&gt; &amp; &quot;y&quot;<\/Message>/);
  });
});
