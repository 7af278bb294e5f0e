// The parameters of an AWS Query-protocol request (IAM, STS): the form-encoded body of a POST, or
// the query string of a GET, read through a typed reader. Scalars are `Name=value`; lists are
// `Name.member.N` (1-based); lists of structures are `Name.member.N.Field` (Tags, PolicyArns); an
// empty list is sent as `Name=` alone. A required parameter that is absent is AWS's ValidationError.
import { errors } from '../../domain/errors.ts';

/** `UserName` → `userName`: how AWS's validation messages name a member. */
function memberPath(name: string): string {
  return name.replace(/(^|\.)([A-Z])/g, (_m, dot: string, c: string) => dot + c.toLowerCase());
}

/** The ValidationError for a required member that is absent (`path` as in the request, e.g. `Tags.member.2.Value`). */
function missing(path: string): Error {
  return errors.validation({ violations: [`Value null at '${memberPath(path)}' failed to satisfy constraint: Member must not be null`] });
}

/** The ValidationError for a value that is not of its member's type. */
function malformed(path: string, value: string, what: string): Error {
  return errors.validation({ violations: [`Value '${value}' at '${memberPath(path)}' failed to satisfy constraint: Member must be ${what}`] });
}

/** Decimal indices without leading zeros, 1-based, as the protocol numbers list members. */
const INDEX = /^[1-9][0-9]{0,5}$/;

/**
 * A parsed Query-protocol request. Names are case-sensitive; when a name is sent more than once,
 * its first value counts. Unknown names are ignored, as AWS ignores them.
 */
export class QueryParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** Parses `application/x-www-form-urlencoded` text (a POST body or a GET query string without '?'). */
  static parse(text: string): QueryParams {
    const values = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(text)) if (!values.has(k)) values.set(k, v);
    return new QueryParams(values);
  }

  /** The value of scalar `name`, or undefined when absent (an empty value is ''). */
  string(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The value of scalar `name`; throws ValidationError when absent. */
  requiredString(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw missing(name);
    return v;
  }

  /** Integer `name` (decimal, optional sign), or undefined when absent; throws ValidationError for anything else. */
  integer(name: string): number | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (!/^[+-]?[0-9]{1,15}$/.test(v)) throw malformed(name, v, 'an integer');
    return Number(v);
  }

  /** Boolean `name` (`true` or `false`, as the SDKs send them), or undefined when absent. */
  boolean(name: string): boolean | undefined {
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw malformed(name, v, 'true or false');
    return v === 'true';
  }

  /**
   * List `name` (`Name.member.1`, `Name.member.2` …) in index order, [] when only `Name=` was sent,
   * undefined when neither was. Indices need not be contiguous; malformed ones are ignored.
   */
  list(name: string): string[] | undefined {
    const items = this.members(name, false);
    if (items === undefined) return undefined;
    return items.map((i) => this.values.get(`${name}.member.${i}`)!);
  }

  /** List `name`; throws ValidationError when neither `Name.member.N` nor `Name=` was sent. */
  requiredList(name: string): string[] {
    const items = this.list(name);
    if (items === undefined) throw missing(name);
    return items;
  }

  /**
   * List of structures `name` (`Name.member.N.Field`), in index order, each with its `required`
   * and `optional` fields; [] when only `Name=` was sent, undefined when neither was. A member
   * that lacks a required field is a ValidationError naming it as AWS does (`tags.2.member.value`).
   */
  structList<R extends string, O extends string = never>(name: string, required: readonly R[], optional: readonly O[] = []): Array<Record<R, string> & Partial<Record<O, string>>> | undefined {
    const items = this.members(name, true);
    if (items === undefined) return undefined;
    return items.map((i) => {
      const out: Record<string, string> = {};
      for (const f of required) {
        const v = this.values.get(`${name}.member.${i}.${f}`);
        if (v === undefined) throw missing(`${name}.${i}.member.${f}`);
        out[f] = v;
      }
      for (const f of optional) {
        const v = this.values.get(`${name}.member.${i}.${f}`);
        if (v !== undefined) out[f] = v;
      }
      return out as Record<R, string> & Partial<Record<O, string>>;
    });
  }

  /** List of structures `name` (see structList); throws ValidationError when it was not sent at all. */
  requiredStructList<R extends string, O extends string = never>(name: string, required: readonly R[], optional: readonly O[] = []): Array<Record<R, string> & Partial<Record<O, string>>> {
    const items = this.structList(name, required, optional);
    if (items === undefined) throw missing(name);
    return items;
  }

  /**
   * The member indices (`N`) of list of structures `name`, ascending; [] for a bare `Name=`, undefined
   * when absent. For structures whose fields are lists (`Name.member.N.Field.member.M`), read with
   * `list('Name.member.N.Field')`.
   */
  structIndices(name: string): string[] | undefined {
    return this.members(name, true);
  }

  /**
   * The member indices of list `name` in ascending order (`Name.member.N` keys, or with `fields`
   * `Name.member.N.Field` keys), [] for a bare `Name=`, undefined when the list is absent.
   */
  private members(name: string, fields: boolean): string[] | undefined {
    const prefix = `${name}.member.`;
    const seen = new Set<string>();
    for (const k of this.values.keys()) {
      if (!k.startsWith(prefix)) continue;
      const rest = k.slice(prefix.length);
      const dot = rest.indexOf('.');
      if ((dot >= 0) !== fields) continue;
      const index = dot < 0 ? rest : rest.slice(0, dot);
      if (INDEX.test(index)) seen.add(index);
    }
    if (seen.size === 0) return this.values.has(name) ? [] : undefined;
    return [...seen].sort((a, b) => Number(a) - Number(b));
  }
}
