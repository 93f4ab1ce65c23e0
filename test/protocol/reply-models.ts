// Replies of every kind as memcached 1.6.18 writes them, each with the outcome the reader must give: random ones
// (fast-check) and the byte-level helpers the protocol tests share.
import fc from 'fast-check';
import type { ReplyKind } from '../differential/protocol-adapter';

export const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** A reply (or several, pipelined), the kinds to read it with, and the reader's outcomes, `{ left: 0 }` last. */
export interface ReplyCase {
  data: Uint8Array;
  kinds: ReplyKind[];
  expected: unknown[];
}

export function joinCases(cases: readonly ReplyCase[]): ReplyCase {
  return {
    data: concat(...cases.map((c) => c.data)),
    kinds: cases.flatMap((c) => c.kinds),
    expected: [...cases.flatMap((c) => c.expected.slice(0, -1)), { left: 0 }],
  };
}

/** A key memcached accepts from our encoders: 1 to 250 bytes, none of them a control byte, space or DEL. */
export const keyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9:_.-]{1,20}$/).map(bytes) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ min: 0x21, max: 0xff, minLength: 1, maxLength: 250 })
      .map((b) => b.map((x) => (x === 0x7f ? 0x7e : x))),
  },
);

/** Values that look like protocol: CR LF, END, VALUE lines inside, empty ones, binary ones. */
export const valueBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .constantFrom(
      '',
      '\r\n',
      'END\r\n',
      'VALUE k 0 1\r\nx\r\nEND\r\n',
      '\r',
      '\n',
      'END',
      'STORED\r\n',
      'SERVER_ERROR x\r\n',
    )
    .map(bytes),
  fc
    .array(fc.constantFrom('\r\n', 'END', 'VALUE ', ' ', 'a', '\r', '\n', '\u00ff'), { maxLength: 12 })
    .map((p) => bytes(p.join(''))),
);

export const u64Digits: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.constantFrom('0', '1', '18446744073709551615', '9007199254740993'),
);
export const u32: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, 4294967295),
  fc.integer({ min: 0, max: 4294967295 }),
);

export type ValueItemModel = [Uint8Array, number, Uint8Array, string | null];

export function valuesReply(items: readonly ValueItemModel[]): ReplyCase {
  const parts = items.map(([key, flags, value, cas]) =>
    concat(
      bytes('VALUE '),
      key,
      bytes(` ${flags} ${value.length}${cas === null ? '' : ` ${cas}`}\r\n`),
      value,
      bytes('\r\n'),
    ),
  );
  return { data: concat(...parts, bytes('END\r\n')), kinds: ['values'], expected: [items, { left: 0 }] };
}

export const valuesCase: fc.Arbitrary<ReplyCase> = fc
  .boolean()
  .chain((withCas) =>
    fc
      .array(fc.tuple(keyBytes, u32, valueBytes, withCas ? u64Digits : fc.constant(null)), { maxLength: 5 })
      .map((items) => valuesReply(items)),
  );

/**
 * A get reply of many items (most of them plain: flags 0, no CAS, values without CRLF, as a multi-key read returns),
 * long enough for the reader's whole-items scan, with now and then an item it must leave to the line-by-line scan.
 */
export const manyValuesCase: fc.Arbitrary<ReplyCase> = fc
  .array(
    fc.oneof(
      {
        weight: 12,
        arbitrary: fc.tuple(
          keyBytes,
          fc.constant(0),
          fc.uint8Array({ min: 0x20, max: 0x7e, minLength: 20, maxLength: 100 }),
          fc.constant(null),
        ),
      },
      { weight: 1, arbitrary: fc.tuple(keyBytes, u32, valueBytes, fc.oneof(fc.constant(null), u64Digits)) },
    ),
    { minLength: 10, maxLength: 40 },
  )
  .map((items) => valuesReply(items));

function lineCase(line: string, kind: ReplyKind, outcome: unknown): ReplyCase {
  return { data: bytes(`${line}\r\n`), kinds: [kind], expected: [outcome, { left: 0 }] };
}

export const storedCase = fc
  .constantFrom('STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND')
  .map((w) => lineCase(w, 'stored', w));
export const deletedCase = fc.constantFrom('DELETED', 'NOT_FOUND').map((w) => lineCase(w, 'deleted', w));
export const touchedCase = fc.constantFrom('TOUCHED', 'NOT_FOUND').map((w) => lineCase(w, 'touched', w));
export const counterCase = fc.oneof(
  fc
    .tuple(u64Digits, fc.nat({ max: 3 }))
    .map(([digits, pad]) => lineCase(digits + ' '.repeat(pad), 'counter', { found: true, value: digits })),
  fc.constant(lineCase('NOT_FOUND', 'counter', { found: false, value: null })),
);
export const versionCase = fc.stringMatching(/^[0-9a-z.-]{1,20}$/).map((v) => lineCase(`VERSION ${v}`, 'version', v));

export const statsCase: fc.Arbitrary<ReplyCase> = fc
  .array(fc.tuple(fc.stringMatching(/^[a-z0-9_:]{1,24}$/), fc.stringMatching(/^[ -~]{0,30}$/)), { maxLength: 8 })
  .map((stats) => ({
    data: bytes(`${stats.map(([name, value]) => `STAT ${name} ${value}\r\n`).join('')}END\r\n`),
    kinds: ['stats'],
    expected: [stats, { left: 0 }],
  }));

/** A MetaReply with nothing returned. */
export function metaReply(status: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status,
    value: null,
    cas: null,
    clientFlags: null,
    ttl: null,
    size: null,
    key: null,
    base64Key: false,
    opaque: null,
    hit: null,
    lastAccess: null,
    won: false,
    stale: false,
    winTokenSent: false,
    ...overrides,
  };
}

type MetaFlagModel = [token: string, field: string, value: unknown];
const metaFlag: fc.Arbitrary<MetaFlagModel> = fc.oneof(
  u64Digits.map((c): MetaFlagModel => [`c${c}`, 'cas', c]),
  u32.map((f): MetaFlagModel => [`f${f}`, 'clientFlags', f]),
  fc.integer({ min: -1, max: 2 ** 31 - 1 }).map((t): MetaFlagModel => [`t${t}`, 'ttl', t]),
  fc.nat({ max: 2 ** 30 }).map((s): MetaFlagModel => [`s${s}`, 'size', s]),
  keyBytes.map((k): MetaFlagModel => [`k${latin1(k)}`, 'key', k]),
  fc.stringMatching(/^[A-Za-z0-9]{0,31}$/).map((o): MetaFlagModel => [`O${o}`, 'opaque', bytes(o)]),
  fc.boolean().map((h): MetaFlagModel => [`h${h ? 1 : 0}`, 'hit', h]),
  fc.nat({ max: 10 ** 9 }).map((l): MetaFlagModel => [`l${l}`, 'lastAccess', l]),
  fc.constantFrom<MetaFlagModel>(
    ['b', 'base64Key', true],
    ['W', 'won', true],
    ['X', 'stale', true],
    ['Z', 'winTokenSent', true],
  ),
);

export const metaCase: fc.Arbitrary<ReplyCase> = fc
  .tuple(
    fc.constantFrom('HD', 'VA', 'EN', 'NF', 'NS', 'EX', 'MN'),
    fc.uniqueArray(metaFlag, { maxLength: 6, selector: ([, field]) => field }),
    valueBytes,
  )
  .map(([status, flags, value]) => {
    const head = status === 'VA' ? `VA ${value.length}` : status;
    const line = [head, ...flags.map(([token]) => token)].join(' ');
    const overrides: Record<string, unknown> = {};
    for (const [, field, fieldValue] of flags) overrides[field] = fieldValue;
    if (status === 'VA') overrides.value = value;
    const data = status === 'VA' ? concat(bytes(`${line}\r\n`), value, bytes('\r\n')) : bytes(`${line}\r\n`);
    return { data, kinds: ['meta'], expected: [metaReply(status, overrides), { left: 0 }] };
  });

/** memcached's uriencode: letters, digits and -._~ as they are, every other byte as %XX (uppercase). */
export function uriEncode(key: Uint8Array): string {
  let out = '';
  for (const byte of key) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface MetadumpEntryModel {
  key: Uint8Array;
  expiresAt: number;
  lastAccess: number;
  cas: string;
  fetched: boolean;
  slabClass: number | null;
  size: number | null;
  clientFlags: number | null;
}

/** A metadump line as memcached writes it: 1.4.31 (no cls/size), 1.5.10 to 1.6.23, or 1.6.24 and later (flags). */
export function metadumpLine(entry: MetadumpEntryModel): string {
  let line = `key=${uriEncode(entry.key)} exp=${entry.expiresAt} la=${entry.lastAccess} cas=${entry.cas} fetch=${entry.fetched ? 'yes' : 'no'}`;
  if (entry.slabClass !== null) line += ` cls=${entry.slabClass} size=${entry.size}`;
  if (entry.clientFlags !== null) line += ` flags=${entry.clientFlags}`;
  return `${line}\n`;
}

const metadumpEntry: fc.Arbitrary<MetadumpEntryModel> = fc
  .record({
    key: fc.oneof(keyBytes, fc.uint8Array({ minLength: 1, maxLength: 30 })),
    expiresAt: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 32 })),
    lastAccess: fc.integer({ min: 0, max: 2 ** 32 }),
    cas: u64Digits,
    fetched: fc.boolean(),
    version: fc.constantFrom('1.4', '1.6.18', '1.6.24'),
    slabClass: fc.integer({ min: 1, max: 63 }),
    size: fc.integer({ min: 48, max: 2 ** 20 }),
    clientFlags: u32,
  })
  .map(({ version, slabClass, size, clientFlags, ...rest }) => ({
    ...rest,
    slabClass: version === '1.4' ? null : slabClass,
    size: version === '1.4' ? null : size,
    clientFlags: version === '1.6.24' ? clientFlags : null,
  }));

export const metadumpCase: fc.Arbitrary<ReplyCase> = fc
  .tuple(
    fc.array(metadumpEntry, { maxLength: 5 }),
    fc.constantFrom(
      'END',
      'END',
      'BUSY currently processing crawler request',
      'BADCLASS invalid class id',
      'NOTSTARTED no items to crawl',
    ),
  )
  .map(([entries, end]) => {
    const shown = end === 'END' ? entries : [];
    const word = end.split(' ')[0]!;
    return {
      data: bytes(`${shown.map(metadumpLine).join('')}${end}\r\n`),
      kinds: ['metadump'],
      expected: [...shown, word, { left: 0 }],
    };
  });

/** An error reply instead of the expected one, and the error the reader reports for it. */
export function errorCase(
  line: string,
  kind: ReplyKind,
  errorClass: string,
  errorKind: string,
  knownText: string | null,
  textLength: number,
  message: string,
): ReplyCase {
  return {
    data: bytes(`${line}\r\n`),
    kinds: [kind],
    expected: [{ error: errorClass, message, attributes: { kind: errorKind, knownText, textLength } }, { left: 0 }],
  };
}

export const anyCase: fc.Arbitrary<ReplyCase> = fc.oneof(
  valuesCase,
  storedCase,
  deletedCase,
  touchedCase,
  counterCase,
  versionCase,
  statsCase,
  metaCase,
  metadumpCase,
);

/** Several replies pipelined in one stream. */
export const pipelineCase: fc.Arbitrary<ReplyCase> = fc.array(anyCase, { minLength: 1, maxLength: 5 }).map(joinCases);
