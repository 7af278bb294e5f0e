// Where statements lie in a policy text, as the policy simulator reports them: AWS's own examples to
// the column, lists and lone statement objects, line breaks of every kind, strings that hold braces,
// and that every span cuts out exactly its statement for any layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { statementSpans, type TextPosition } from '../../src/domain/aws/policy-positions.ts';

/** The offset of a position in `text` (lines break at LF, CRLF or CR). */
function offsetOf(text: string, p: TextPosition): number {
  let line = 1, i = 0;
  while (line < p.line) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) line++;
    i++;
  }
  return i + p.column - 1;
}

/** The statements the spans cut out of `text`, parsed (a list span starts after `[` or the previous `}`). */
function cut(text: string): unknown[] {
  return statementSpans(text)!.map((s) => {
    const piece = text.slice(offsetOf(text, s.start), offsetOf(text, s.end)).replace(/^[\s,]*/, '');
    return JSON.parse(piece.startsWith('{') ? piece : `{${piece}`);
  });
}

test('the aws CLI\'s simulate-custom-policy example: a lone statement object from column 38 to 167', () => {
  // awscli examples/iam/simulate-custom-policy.rst: StartPosition {Line 1, Column 38}, EndPosition {Line 1, Column 167}.
  const text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}';
  assert.deepEqual(statementSpans(text), [{ start: { line: 1, column: 38 }, end: { line: 1, column: 167 } }]);
});

test('a list: the first starts after `[`, each next one where the previous ended', () => {
  const text = '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"*","Resource":"*"}]}';
  const firstEnd = text.indexOf('}') + 2;
  assert.deepEqual(statementSpans(text), [
    { start: { line: 1, column: 38 }, end: { line: 1, column: firstEnd } },
    { start: { line: 1, column: firstEnd }, end: { line: 1, column: text.length - 1 } },
  ]);
});

test('AdministratorAccess laid out with two spaces: line 3 column 17 to line 8 column 6, as AWS answers it', () => {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, null, 2);
  assert.deepEqual(statementSpans(text), [{ start: { line: 3, column: 17 }, end: { line: 8, column: 6 } }]);
});

test('CRLF and CR line breaks count once each; braces, brackets and quotes inside strings are text', () => {
  const crlf = '{\r\n"Version": "2012-10-17",\r\n"Statement": [\r\n{"Sid": "x}]\\"{", "Effect": "Allow", "Action": "*", "Resource": "*"}\r\n]\r\n}';
  assert.deepEqual(statementSpans(crlf), [{ start: { line: 3, column: 15 }, end: { line: 4, column: 69 } }]);
  assert.deepEqual(statementSpans(crlf.replaceAll('\r\n', '\r')), statementSpans(crlf));
  assert.deepEqual(cut(crlf), [{ Sid: 'x}]"{', Effect: 'Allow', Action: '*', Resource: '*' }]);
});

test('only the top-level Statement counts, the last one when named twice; not a policy object: undefined', () => {
  const text = '{"Id":"{\\"Statement\\":[]}","Statement":[{"Sid":"old"}],"Other":{"Statement":{"x":1}},"Statement":[{"Sid":"new"}]}';
  assert.deepEqual(cut(text), [{ Sid: 'new' }]);
  assert.equal(statementSpans('[]'), undefined);
  assert.equal(statementSpans('{"Version":"2012-10-17"}'), undefined);
});

test('every span cuts out exactly its statement, whatever the layout', () => {
  const statement = fc.record({
    Sid: fc.string({ unit: fc.constantFrom('a', '{', '}', '[', ']', '"', '\\', ',', ' ', '\n') }),
    Effect: fc.constantFrom('Allow', 'Deny'),
    Action: fc.array(fc.constantFrom('ecr:BatchGetImage', 'ecr:*', 's3:GetObject'), { minLength: 1, maxLength: 3 }),
    Resource: fc.constant('*'),
    Condition: fc.option(fc.constant({ StringEquals: { 'aws:PrincipalTag/team': ['a', '{b}'] } }), { nil: undefined }),
  });
  fc.assert(fc.property(fc.array(statement, { minLength: 1, maxLength: 5 }), fc.constantFrom(undefined, 2, 4, '\t'), fc.boolean(), (statements, indent, lone) => {
    const doc = { Version: '2012-10-17', Statement: lone ? statements[0] : statements };
    const text = JSON.stringify(doc, null, indent);
    assert.deepEqual(cut(text), JSON.parse(JSON.stringify(lone ? [statements[0]] : statements)));
  }));
});
