// The spool of the socket port (a listing received whole into a temporary file, then read in order) in its two
// bindings, src/ports/socket.ts in Node and python-out/pymcache_fdw/_socket.py under /usr/bin/python3: the same
// writes read back in the same pieces, the end read as empty, close idempotent, the file never visible by name.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { openSpool } from '../../src/ports/socket';
import { PYTHON, PYTHONPATH } from '../rig/differential';

/** Writes `chunks` (latin-1 text), then reads pieces of `sizes` bytes; the pieces read, as latin-1 text. */
const SCENARIO = { chunks: ['key=a exp=-1\n', '', 'x'.repeat(70000), 'END\r\n'], sizes: [5, 65536, 65536, 100, 10] };

function nodeRun(): string[] {
  const spool = openSpool();
  for (const chunk of SCENARIO.chunks) spool.write(Buffer.from(chunk, 'latin1'));
  const pieces = SCENARIO.sizes.map((size) => Buffer.from(spool.read(size)).toString('latin1'));
  spool.close();
  spool.close();
  return pieces;
}

function pythonRun(): string[] {
  const program = `
import json, sys
from pymcache_fdw._socket import open_spool
scenario = json.loads(sys.argv[1])
spool = open_spool()
for chunk in scenario["chunks"]:
    spool.write(chunk.encode("latin-1"))
pieces = [spool.read(size).decode("latin-1") for size in scenario["sizes"]]
spool.close()
spool.close()
print(json.dumps(pieces))
`;
  const out = execFileSync(PYTHON, ['-c', program, JSON.stringify(SCENARIO)], {
    env: { ...process.env, PYTHONPATH },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

describe('spool (socket port)', () => {
  it('reads back what was written, in order, in the pieces asked for, then empty; the same in Node and Python', () => {
    const written = SCENARIO.chunks.join('');
    const expected = [written.slice(0, 5), written.slice(5, 65541), written.slice(65541), '', ''];
    expect(nodeRun()).toEqual(expected);
    expect(pythonRun()).toEqual(expected);
  });

  it('leaves no file behind by name', () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('pymcache_fdw-spool-'));
    const spool = openSpool();
    spool.write(Buffer.from('abc'));
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('pymcache_fdw-spool-'))).toEqual(before);
    spool.close();
  });
});
