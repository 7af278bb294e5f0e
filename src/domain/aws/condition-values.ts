// Parsers for the typed IAM condition families: numbers, dates (W3C ISO-8601 profiles or epoch
// seconds), IPv4/IPv6 addresses and CIDR blocks, base64 binary. Each returns undefined for text it does
// not accept, which makes the comparison false (and a negated operator true). Pure.

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A Numeric* operand: decimal text (sign, fraction and exponent allowed); no hex, no blanks, no Infinity. */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

const EPOCH = /^\d+(?:\.\d+)?$/;
const ISO = /^(\d{4})-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?)?$/;

/**
 * A Date* operand as epoch milliseconds: epoch seconds (`1700000000`; all digits are epoch seconds,
 * so the year-only ISO profile `2020` is not read as a year) or a W3C ISO-8601 profile (`2020-01`,
 * `2020-01-31`, `2020-01-31T10:00Z`, `…:05`, `…:05.250+02:00`). A time without a zone is read as UTC.
 * Impossible dates (`2020-02-30`) are refused.
 */
export function parseDate(text: string): number | undefined {
  if (text === lastDate.text) return lastDate.value;
  const value = parseDateText(text);
  lastDate = { text, value };
  return value;
}
// The same request value is compared by many statements: remember the last one parsed.
let lastDate: { text: string; value: number | undefined } = { text: '', value: undefined };

function parseDateText(text: string): number | undefined {
  if (EPOCH.test(text)) return Math.round(Number(text) * 1000);
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month = 1, day = 1, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x)));
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  if (month! < 1 || month! > 12 || day! < 1 || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, ms);
  if (new Date(utc).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (!zone || zone === 'Z' || zone === 'z') return utc;
  const sign = zone[0] === '-' ? -1 : 1;
  const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return utc - sign * offset;
}

/** An IP address: its family and value (IPv4 as a 32-bit number in a bigint, IPv6 as 128 bits). */
export interface IpAddress {
  readonly v6: boolean;
  readonly value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseIpv6(text: string): bigint | undefined {
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    s = s.slice(0, lastColon + 1) + (v4 >> 16n).toString(16) + ':' + (v4 & 0xffffn).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (halves.length === 1 ? left.length !== 8 : left.length + right.length > 7) return undefined;
  let n = 0n;
  for (const g of [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/**
 * Parses an IPv4 or IPv6 address (no zone index). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is
 * returned as the IPv4 address it carries, so IPv4 blocks match it.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (text === lastIp.text) return lastIp.value;
  const value = parseIpText(text);
  lastIp = { text, value };
  return value;
}
let lastIp: { text: string; value: IpAddress | undefined } = { text: '', value: undefined };

function parseIpText(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { v6: false, value: v4 };
  }
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v6: false, value: v6 & 0xffffffffn };
  return { v6: true, value: v6 };
}

/** A CIDR block; `mask` has the prefix bits set. */
export interface CidrBlock {
  readonly v6: boolean;
  readonly network: bigint;
  readonly mask: bigint;
}

/** Parses `203.0.113.0/24` or `2001:DB8::/32`; a bare address is a single-address block. Host bits are ignored. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const width = addr.v6 ? 128 : 32;
  let bits = width;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b)) return undefined;
    // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block /8.
    const mapped = !addr.v6 && text.includes(':');
    bits = Number(b) - (mapped ? 96 : 0);
    if (bits < 0 || bits > width) return undefined;
  }
  const all = (1n << BigInt(width)) - 1n;
  const mask = all ^ ((1n << BigInt(width - bits)) - 1n);
  return { v6: addr.v6, network: addr.value & mask, mask };
}

/** True when `ip` lies in `block` (families must agree). */
export function cidrContains(block: CidrBlock, ip: IpAddress): boolean {
  return block.v6 === ip.v6 && (ip.value & block.mask) === block.network;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Decodes base64 (padding optional); undefined for text that is not base64. */
export function parseBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}
