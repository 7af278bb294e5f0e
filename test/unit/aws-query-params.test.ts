// The Query-protocol parameter reader: scalars, Name.member.N lists, Name.member.N.Field structure
// lists, empty lists, types, and the ValidationError a missing required parameter is.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WharfError } from '../../src/domain/errors.ts';
import { QueryParams } from '../../src/http/aws/query-params.ts';

/** Asserts that `f` throws the catalogue's ValidationError with exactly `message`. */
function validationError(f: () => unknown, message: string) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof WharfError);
    assert.equal(e.spec.id, 'Validation');
    assert.equal(e.spec.query, 'ValidationError');
    assert.equal(e.message, message);
    return true;
  });
}

describe('QueryParams', () => {
  test('reads form-encoded scalars, decoding + and percent escapes; the first of a repeated name counts', () => {
    const p = QueryParams.parse('Action=CreateUser&Version=2010-05-08&UserName=al+ice%2Fx&Path=%2F&Empty=&Action=DeleteUser');
    assert.equal(p.string('Action'), 'CreateUser');
    assert.equal(p.requiredString('UserName'), 'al ice/x');
    assert.equal(p.string('Path'), '/');
    assert.equal(p.string('Empty'), '');
    assert.equal(p.string('Absent'), undefined);
    assert.equal(p.string('action'), undefined, 'names are case-sensitive');
  });

  test('a policy document arrives form-encoded JSON and reads back byte for byte', () => {
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*', Condition: { StringLike: { 'aws:userid': 'A+B%C&D=€' } } }] });
    const p = QueryParams.parse(new URLSearchParams({ Action: 'PutUserPolicy', PolicyDocument: doc }).toString());
    assert.equal(p.requiredString('PolicyDocument'), doc);
  });

  test('a missing required scalar is ValidationError naming the member as AWS does', () => {
    validationError(() => QueryParams.parse('Action=CreateUser').requiredString('UserName'),
      "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
  });

  test('lists: Name.member.N in index order (not text order, not contiguous), [] for a bare Name=, undefined when absent', () => {
    const p = QueryParams.parse('ClientIDList.member.10=j&ClientIDList.member.2=b&ClientIDList.member.1=a&ClientIDList.member.0=zero&ClientIDList.member.01=lead&Empty=');
    assert.deepEqual(p.list('ClientIDList'), ['a', 'b', 'j']);
    assert.deepEqual(p.list('Empty'), []);
    assert.equal(p.list('Absent'), undefined);
  });

  test('structure lists: Name.member.N.Field with required and optional fields', () => {
    const p = QueryParams.parse('Tags.member.2.Key=env&Tags.member.2.Value=prod&Tags.member.1.Key=team&Tags.member.1.Value=&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FX');
    assert.deepEqual(p.structList('Tags', ['Key', 'Value']), [{ Key: 'team', Value: '' }, { Key: 'env', Value: 'prod' }]);
    assert.deepEqual(p.structList('PolicyArns', ['arn']), [{ arn: 'arn:aws:iam::aws:policy/X' }]);
    assert.deepEqual(QueryParams.parse('Tags=').structList('Tags', ['Key', 'Value']), []);
    assert.equal(p.structList('Absent', ['Key']), undefined);
    const opt = QueryParams.parse('Tags.member.1.Key=a');
    assert.deepEqual(opt.structList('Tags', ['Key'], ['Value']), [{ Key: 'a' }]);
    assert.equal(opt.list('Tags'), undefined, 'a plain list does not take structure members');
  });

  test('structures holding lists (ContextEntries.member.N.ContextKeyValues.member.M): their indices, then each field read on its own', () => {
    const p = QueryParams.parse('ContextEntries.member.2.ContextKeyName=aws%3ATagKeys&ContextEntries.member.2.ContextKeyValues.member.2=b'
      + '&ContextEntries.member.2.ContextKeyValues.member.1=a&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.10.ContextKeyType=ip');
    assert.deepEqual(p.structIndices('ContextEntries'), ['1', '2', '10']);
    assert.deepEqual(p.list('ContextEntries.member.2.ContextKeyValues'), ['a', 'b']);
    assert.equal(p.list('ContextEntries.member.1.ContextKeyValues'), undefined);
    assert.deepEqual(QueryParams.parse('ContextEntries=').structIndices('ContextEntries'), []);
    assert.equal(p.structIndices('Absent'), undefined);
  });

  test('a structure-list member without a required field is ValidationError naming its path', () => {
    validationError(() => QueryParams.parse('Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.2.Key=c').structList('Tags', ['Key', 'Value']),
      "1 validation error detected: Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null");
  });

  test('integers and booleans are typed; other text is ValidationError', () => {
    const p = QueryParams.parse('MaxItems=100&Neg=-3&SetAsDefault=true&Off=false&Bad=1.5&Yes=yes');
    assert.equal(p.integer('MaxItems'), 100);
    assert.equal(p.integer('Neg'), -3);
    assert.equal(p.integer('Absent'), undefined);
    assert.equal(p.boolean('SetAsDefault'), true);
    assert.equal(p.boolean('Off'), false);
    assert.equal(p.boolean('Absent'), undefined);
    validationError(() => p.integer('Bad'), "1 validation error detected: Value '1.5' at 'bad' failed to satisfy constraint: Member must be an integer");
    validationError(() => p.boolean('Yes'), "1 validation error detected: Value 'yes' at 'yes' failed to satisfy constraint: Member must be true or false");
  });

  test('required lists: an empty list (Name=) is given, an absent one is ValidationError naming it', () => {
    const p = QueryParams.parse('TagKeys=&ThumbprintList.member.1=ab&Tags.member.1.Key=k&Tags.member.1.Value=v');
    assert.deepEqual(p.requiredList('TagKeys'), []);
    assert.deepEqual(p.requiredList('ThumbprintList'), ['ab']);
    assert.deepEqual(p.requiredStructList('Tags', ['Key', 'Value']), [{ Key: 'k', Value: 'v' }]);
    validationError(() => p.requiredList('ClientIDList'), "1 validation error detected: Value null at 'clientIDList' failed to satisfy constraint: Member must not be null");
    validationError(() => p.requiredStructList('PolicyArns', ['arn']), "1 validation error detected: Value null at 'policyArns' failed to satisfy constraint: Member must not be null");
  });
});
