// Bulk writes leave PostgreSQL as pipelined batches. The backend reaches a private memcached through a relay that
// parses every request it forwards (so each command and each get line's keys are counted) and can hold memcached's
// replies back until the client has sent a given number of commands: a client that pipelines a batch sends all of it
// and the replies go; one that waits for each reply never gets there, and the relay gives up at a deadline, which the
// test reports as "waited for replies". memcached's own counters confirm what was applied.
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMemcached } from '../rig/memcached';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const ROWS = 10_000;
/** Keys per pipelined request (src/transaction.ts KEYS_PER_BATCH) and per get line (src/cache-store.ts KEYS_PER_GET). */
const KEYS_PER_BATCH = 1000;
const KEYS_PER_GET = 500;
/** How long the relay holds replies for a client that does not pipeline (reached only by the control, or a failure). */
const GATE_DEADLINE_MS = 2000;
const STORAGE_VERBS = ['set', 'add', 'replace', 'append', 'prepend', 'cas'];

type Command = { verb: string; keys: number };
type GateOutcome = 'pipelined' | 'waited for replies';
type Gate = {
  verb: string;
  count: number;
  seen: number;
  holding: boolean;
  held: Array<[Socket, Buffer]>;
  resolve: (how: GateOutcome) => void;
};

/** A TCP relay in front of memcached that parses the text-protocol requests it forwards. */
class Relay {
  private commands: Command[] = [];
  private gate: Gate | null = null;
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly address: MemcachedAddress,
  ) {}

  static async start(target: MemcachedAddress): Promise<Relay> {
    const holder: { relay: Relay | null } = { relay: null };
    const server = createServer((client) => holder.relay?.forward(client, target));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('relay: no TCP address');
    holder.relay = new Relay(server, { host: '127.0.0.1', port: bound.port });
    return holder.relay;
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  /** The commands forwarded since the last call, oldest first. */
  takeCommands(): Command[] {
    return this.commands.splice(0, this.commands.length);
  }

  /** From the first `verb` command on, holds memcached's replies until `count` commands of that verb have arrived. */
  holdRepliesUntil(verb: string, count: number): Promise<GateOutcome> {
    return new Promise<GateOutcome>((resolve) => {
      this.gate = { verb, count, seen: 0, holding: false, held: [], resolve };
    });
  }

  private open(gate: Gate, how: GateOutcome): void {
    if (this.gate !== gate) return;
    this.gate = null;
    for (const [socket, chunk] of gate.held) socket.write(chunk);
    gate.resolve(how);
  }

  private forward(client: Socket, target: MemcachedAddress): void {
    this.connections += 1;
    const upstream = connectTcp(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    let unparsed: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      unparsed = this.parse(Buffer.concat([unparsed, chunk]));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const gate = this.gate;
      if (gate !== null && gate.holding) gate.held.push([client, chunk]);
      else client.write(chunk);
    });
  }

  /** Records the complete requests at the front of `buffer`; returns the incomplete rest. */
  private parse(buffer: Buffer): Buffer {
    let rest = buffer;
    while (true) {
      const end = rest.indexOf('\r\n');
      if (end < 0) return rest;
      const words = rest
        .subarray(0, end)
        .toString('latin1')
        .split(' ')
        .filter((word) => word !== '');
      const verb = words[0] ?? '';
      let length = end + 2;
      if (STORAGE_VERBS.includes(verb)) {
        length += Number(words[4]) + 2;
        if (rest.length < length) return rest;
      }
      rest = rest.subarray(length);
      this.commands.push({
        verb,
        keys: verb === 'get' || verb === 'gets' ? words.length - 1 : Math.min(words.length - 1, 1),
      });
      this.countForGate(verb);
    }
  }

  private countForGate(verb: string): void {
    const gate = this.gate;
    if (gate === null || verb !== gate.verb) return;
    if (!gate.holding) {
      gate.holding = true;
      setTimeout(() => this.open(gate, 'waited for replies'), GATE_DEADLINE_MS);
    }
    gate.seen += 1;
    if (gate.seen >= gate.count) this.open(gate, 'pipelined');
  }
}

let session: HostSession;
let memcached: { address: MemcachedAddress; stop(): Promise<void> };
let relay: Relay;

beforeAll(async () => {
  memcached = await startMemcached(['-m', '256']);
  relay = await Relay.start(memcached.address);
  const connection = await createScratchDatabase(inject('postgres'), 'sql_bulk');
  session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  const where = `host '${relay.address.host}', port '${relay.address.port}', row_id 'key'`;
  await session.client.query(
    `CREATE FOREIGN TABLE bulk (key text, value text, expire integer) SERVER mc OPTIONS (${where})`,
  );
  await session.client.query(`CREATE FOREIGN TABLE bulk_batched (key text, value text) SERVER mc
    OPTIONS (${where}, batch_size '500', prefix 'batched:')`);
  await session.client.query(`CREATE FOREIGN TABLE bulk_add (key text, value text) SERVER mc
    OPTIONS (${where}, batch_size '700', insert_mode 'add', prefix 'add:')`);
  // The first use connects and reads item_size_max once; the statements below then send their writes alone.
  await session.client.query(`INSERT INTO bulk (key, value) VALUES ('warm', 'up')`);
});

afterAll(async () => {
  await session?.close();
  await relay?.stop();
  await memcached?.stop();
});

type Measured = {
  /** Commands the backend sent, by verb, in order of first appearance. */
  verbs: Record<string, number>;
  /** Keys of each get line, in order. */
  getLines: number[];
  /** Connections the backend opened to the relay. */
  connections: number;
  /** memcached's counters: what it applied. */
  sets: number;
  touchHits: number;
  deleteHits: number;
};

async function counter(name: string): Promise<number> {
  return Number((await rawStats(memcached.address)).get(name));
}

/** What `action` sent through the relay, and what memcached applied (its stats read directly, not through the relay). */
async function measure(action: () => Promise<unknown>): Promise<Measured> {
  const names = ['cmd_set', 'touch_hits', 'delete_hits'];
  const before = await Promise.all(names.map(counter));
  const connectionsBefore = relay.connections;
  relay.takeCommands();
  await action();
  const commands = relay.takeCommands();
  const after = await Promise.all(names.map(counter));
  const verbs: Record<string, number> = {};
  for (const command of commands) verbs[command.verb] = (verbs[command.verb] ?? 0) + 1;
  return {
    verbs,
    getLines: commands.filter((command) => command.verb === 'gets').map((command) => command.keys),
    connections: relay.connections - connectionsBefore,
    sets: after[0]! - before[0]!,
    touchHits: after[1]! - before[1]!,
    deleteHits: after[2]! - before[2]!,
  };
}

const keyArray = (count: number, prefix: string): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
const getLinesFor = (keys: number): number[] =>
  Array.from({ length: Math.ceil(keys / KEYS_PER_GET) }, (_, i) => Math.min(KEYS_PER_GET, keys - i * KEYS_PER_GET));

async function seed(prefix: string, count: number, value: string): Promise<void> {
  await session.client.query(
    `INSERT INTO bulk (key, value) SELECT '${prefix}' || g, '${value}' FROM generate_series(1, ${count}) g`,
  );
}

describe('bulk writes are pipelined', () => {
  it('control: a client that waits for each reply is caught by the relay', async () => {
    const gate = relay.holdRepliesUntil('set', 2);
    await rawSet(relay.address, 'control1', 'v');
    await rawSet(relay.address, 'control2', 'v');
    expect(await gate).toBe('waited for replies');
    expect((await rawGet(memcached.address, 'control2'))!.value.toString()).toBe('v');
  });

  it(`INSERT ... SELECT of ${ROWS} rows: ${ROWS} sets on the backend's one connection, ${KEYS_PER_BATCH} per pipelined request`, async () => {
    const gate = relay.holdRepliesUntil('set', KEYS_PER_BATCH);
    const measured = await measure(() =>
      session.client.query(
        `INSERT INTO bulk (key, value) SELECT 'row:' || g, repeat('x', 100) FROM generate_series(1, ${ROWS}) g`,
      ),
    );
    expect(await gate).toBe('pipelined');
    expect(measured).toEqual({
      verbs: { set: ROWS },
      getLines: [],
      connections: 0,
      sets: ROWS,
      touchHits: 0,
      deleteHits: 0,
    });
    expect((await rawGet(memcached.address, 'row:1'))!.value.toString()).toBe('x'.repeat(100));
    expect((await rawGet(memcached.address, `row:${ROWS}`))!.value.toString()).toBe('x'.repeat(100));
  });

  it('inside a transaction block the same rows go out only at COMMIT, pipelined', async () => {
    await session.client.query('BEGIN');
    const during = await measure(() =>
      session.client.query(`INSERT INTO bulk (key, value) SELECT 'tx:' || g, 'v' FROM generate_series(1, 2000) g`),
    );
    expect(during.verbs).toEqual({});
    expect(await rawGet(memcached.address, 'tx:1')).toBeNull();
    const gate = relay.holdRepliesUntil('set', KEYS_PER_BATCH);
    const atCommit = await measure(() => session.client.query('COMMIT'));
    expect(await gate).toBe('pipelined');
    expect([atCommit.verbs, atCommit.sets]).toEqual([{ set: 2000 }, 2000]);
    expect((await rawGet(memcached.address, 'tx:2000'))!.value.toString()).toBe('v');
  });

  it('a multi-row UPDATE of values: one lookup, then pipelined compare-and-swaps; of expire alone, pipelined acknowledged touches', async () => {
    await seed('upd:', 1000, 'before');
    const keys = keyArray(1000, 'upd:');
    const gate = relay.holdRepliesUntil('cas', KEYS_PER_BATCH);
    const values = await measure(() =>
      session.client.query(`UPDATE bulk SET value = 'updated' WHERE key = ANY($1)`, [keys]),
    );
    expect(await gate).toBe('pipelined');
    // The table has an expire column, which the UPDATE carries over: the rows are read with meta gets (value, CAS
    // token and remaining TTL), one per key, all in one pipelined request.
    expect(values).toEqual({
      verbs: { mg: 1000, cas: 1000 },
      getLines: [],
      connections: 0,
      sets: 1000,
      touchHits: 0,
      deleteHits: 0,
    });
    const touchGate = relay.holdRepliesUntil('touch', KEYS_PER_BATCH);
    const expires = await measure(() =>
      session.client.query(`UPDATE bulk SET expire = 600 WHERE key = ANY($1)`, [keys]),
    );
    expect(await touchGate).toBe('pipelined');
    expect(expires).toEqual({
      verbs: { mg: 1000, touch: 1000 },
      getLines: [],
      connections: 0,
      sets: 0,
      touchHits: 1000,
      deleteHits: 0,
    });
    const item = await rawGet(memcached.address, 'upd:1000');
    expect(item!.value.toString()).toBe('updated');
    expect(item!.ttl).toBeGreaterThan(500);
  });

  it('a multi-row DELETE: one lookup, then pipelined deletes', async () => {
    await seed('del:', 1001, 'd');
    const gate = relay.holdRepliesUntil('delete', KEYS_PER_BATCH);
    const measured = await measure(() =>
      session.client.query(`DELETE FROM bulk WHERE key = ANY($1)`, [keyArray(1000, 'del:')]),
    );
    expect(await gate).toBe('pipelined');
    expect(measured).toEqual({
      verbs: { gets: 2, delete: 1000 },
      getLines: getLinesFor(1000),
      connections: 0,
      sets: 0,
      touchHits: 0,
      deleteHits: 1000,
    });
    expect(await rawGet(memcached.address, 'del:1')).toBeNull();
    expect((await rawGet(memcached.address, 'del:1001'))!.value.toString()).toBe('d');
  });

  it('batch_size hands INSERT rows over in batches (so RETURNING gets no rows); the write set pipelines them', async () => {
    // Multicorn (and our host) batch regardless of RETURNING, and PostgreSQL returns no rows from a batched INSERT.
    const unbatched = await session.client.query(
      `INSERT INTO bulk (key, value) SELECT 'ret:' || g, 'r' FROM generate_series(1, 3) g RETURNING key`,
    );
    expect(unbatched.rows).toEqual([{ key: 'ret:1' }, { key: 'ret:2' }, { key: 'ret:3' }]);
    const batched = await session.client.query(
      `INSERT INTO bulk_batched (key, value) SELECT 'ret:' || g, 'r' FROM generate_series(1, 3) g RETURNING key`,
    );
    expect(batched.rows).toEqual([]);
    expect((await rawGet(memcached.address, 'batched:ret:3'))!.value.toString()).toBe('r');

    const gate = relay.holdRepliesUntil('set', KEYS_PER_BATCH);
    const measured = await measure(() =>
      session.client.query(`INSERT INTO bulk_batched (key, value) SELECT g::text, 'b' FROM generate_series(1, 3000) g`),
    );
    expect(await gate).toBe('pipelined');
    expect([measured.verbs, measured.sets]).toEqual([{ set: 3000 }, 3000]);
    expect((await rawGet(memcached.address, 'batched:3000'))!.value.toString()).toBe('b');
  });

  it('insert_mode add with batch_size 700: one lookup per batch of 700 rows checks for duplicates, then one add per key', async () => {
    const inserted = await measure(() =>
      session.client.query(`INSERT INTO bulk_add (key, value) SELECT g::text, 'a' FROM generate_series(1, 2000) g`),
    );
    // Batches of 700, 700 and 600 rows, each looked up in get lines of at most 500 keys. Row by row it would be
    // 2000 one-key lines; any other batch size would cut the lines elsewhere.
    expect(inserted.getLines).toEqual([500, 200, 500, 200, 500, 100]);
    expect([inserted.verbs, inserted.sets]).toEqual([{ gets: 6, add: 2000 }, 2000]);
    const error = await sqlError(
      session.client.query(
        `INSERT INTO bulk_add (key, value) SELECT g::text, 'again' FROM generate_series(1990, 2010) g`,
      ),
    );
    expect(error.message).toBe(
      `duplicate key value: key "1990" already exists in memcached at ${relay.address.host}:${relay.address.port}`,
    );
    expect(await rawGet(memcached.address, 'add:2010')).toBeNull();
    expect((await rawGet(memcached.address, 'add:1990'))!.value.toString()).toBe('a');
  });

  it('batch_size is checked: 1 to 10000', async () => {
    await session.client.query(`CREATE FOREIGN TABLE bad_batch (key text, value text) SERVER mc
      OPTIONS (host '${memcached.address.host}', port '${memcached.address.port}', batch_size '0')`);
    const error = await sqlError(session.client.query(`SELECT * FROM bad_batch WHERE key = 'k'`));
    expect(error.message).toBe('invalid value "0" for option "batch_size": expected an integer from 1 to 10000');
  });

  it('a pre-existing item is overwritten by the bulk INSERT only when it commits', async () => {
    await rawSet(memcached.address, 'late:5', 'before');
    await session.client.query('BEGIN');
    await session.client.query(
      `INSERT INTO bulk (key, value) SELECT 'late:' || g, 'late' FROM generate_series(1, 10) g`,
    );
    await session.client.query('ROLLBACK');
    expect((await rawGet(memcached.address, 'late:5'))!.value.toString()).toBe('before');
  });
});
