// The AWS Query protocol's XML (IAM, STS): an operation's result as
// `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata><RequestId>` and a catalogue error as
// `<ErrorResponse xmlns><Error><Type><Code><Message></Error><RequestId>`, with members in the order
// the AWS model lists them (results are built from ordered shapes, never from plain objects).
import { XMLBuilder } from 'fast-xml-parser';
import type { WharfError } from '../../domain/errors.ts';

/** A structure whose members render in a fixed order (made by a shape from `struct`). */
export class Ordered {
  constructor(readonly entries: ReadonlyArray<readonly [string, XmlValue]>) {}
}

/**
 * A map of the model (e.g. EvalDecisionDetails): each pair one `<entry><key>…</key><value>…</value></entry>`,
 * in the order given (an empty map is an empty element, as an empty list is).
 */
export class XmlMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, XmlValue]>) {}
}

/**
 * A value of a Query result: strings, numbers, booleans (`true|false`), Dates (ISO-8601 UTC to the
 * second), ordered structures, maps, and lists (each item one `<member>`). undefined members are left out.
 */
export type XmlValue = string | number | boolean | Date | Ordered | XmlMap | readonly XmlValue[] | undefined;

/**
 * A structure shape: its member names in the model's order. The function it returns builds a
 * structure from an object holding some of those members, ordered as declared (not as the object
 * lists them), e.g. `const CALLER = struct('UserId', 'Account', 'Arn')`.
 */
export function struct<K extends string>(...members: readonly K[]): (value: { readonly [M in K]?: XmlValue }) => Ordered {
  return (value) => new Ordered(members.map((m) => [m, value[m]] as const));
}

/**
 * A policy document as the Query protocol returns it (AssumeRolePolicyDocument, PolicyDocument,
 * Document): URL-encoded JSON, which botocore and Terraform decode. encodeURIComponent's form, so
 * that `+` and `%` in a policy survive the decoders.
 */
export function encodePolicyDocument(json: string): string {
  return encodeURIComponent(json);
}

/** Characters XML 1.0 cannot carry, even escaped; replaced by U+FFFD. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `2026-12-03T18:10:04Z`: ISO-8601 UTC without fractions, as IAM and STS send timestamps. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type BuilderNode = string | { [k: string]: BuilderNode | BuilderNode[] };

/** `v` in the builder's object form: elements as keys in insertion order, lists as repeated `member`. */
function toBuilder(v: Exclude<XmlValue, undefined>): BuilderNode {
  if (typeof v === 'string') return v.replace(NOT_XML, '\uFFFD');
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return isoSeconds(v);
  if (v instanceof Ordered) {
    const out: { [k: string]: BuilderNode } = {};
    for (const [k, x] of v.entries) if (x !== undefined) out[k] = toBuilder(x);
    return out;
  }
  if (v instanceof XmlMap) return { entry: v.entries.filter(([, x]) => x !== undefined).map(([k, x]) => ({ key: toBuilder(k), value: toBuilder(x!) })) };
  return { member: v.filter((x) => x !== undefined).map((x) => toBuilder(x!)) };
}

// Text and attribute values are escaped (&, <, >, quotes); no element is dropped for being empty.
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, processEntities: true });

/**
 * The body of a successful `action`: `<ActionResponse xmlns="ns">`, then `<ActionResult>` with
 * `result` unless the operation has no output (undefined), then the request id.
 */
export function renderQueryResult(xmlns: string, action: string, result: Ordered | undefined, requestId: string): string {
  const response: { [k: string]: BuilderNode } = { '@xmlns': xmlns };
  if (result !== undefined) response[`${action}Result`] = toBuilder(result);
  response.ResponseMetadata = { RequestId: requestId };
  return builder.build({ [`${action}Response`]: response }) as string;
}

/**
 * The HTTP status of each Query-protocol error code where the AWS Query services answer with another
 * status than the catalogue's (which is the JSON 1.1 one): e.g. InvalidClientTokenId and
 * SignatureDoesNotMatch are 403 here, 400 in ECR's JSON. Codes not listed keep the catalogue status.
 */
const QUERY_STATUS: Readonly<Record<string, number>> = {
  InvalidClientTokenId: 403, SignatureDoesNotMatch: 403, MissingAuthenticationToken: 403, AccessDenied: 403,
  IncompleteSignature: 400, InvalidAction: 400, MissingAction: 400, MissingParameter: 400, ValidationError: 400, Throttling: 400,
  InternalFailure: 500, ServiceUnavailable: 503,
};

/**
 * The Query rendering of a catalogue error: Code is the catalogue's `query` code (an error without
 * one, which no IAM or STS request should meet, shows its catalogue id), the status QUERY_STATUS's
 * for that code or else the catalogue's, Type `Receiver` for 5xx and `Sender` otherwise.
 */
export function renderQueryError(err: WharfError, xmlns: string, requestId: string): { status: number; code: string; body: string } {
  const code = err.spec.query ?? err.spec.id;
  const status = Object.hasOwn(QUERY_STATUS, code) ? QUERY_STATUS[code] : err.status;
  const body = builder.build({
    ErrorResponse: {
      '@xmlns': xmlns,
      Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: toBuilder(err.message) },
      RequestId: requestId,
    },
  }) as string;
  return { status, code, body };
}
