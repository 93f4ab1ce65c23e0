// Scripted differential runs: one script (a list of steps, see script-node.ts) through the TS modules in Node and
// through the emitted Python in a persistent /usr/bin/python3 driver (script_driver.py), step by step outcomes put in
// the canonical form of the rig and compared. For scenarios on memcached each side has its own private server: the
// servers' `host:port` and port numbers are replaced by placeholders before comparing, and the servers' contents are
// read with an independent raw client (lru_crawler metadump + meta get).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import {
  PYTHON,
  PYTHONPATH,
  REPO_ROOT,
  encodeArgument,
  isRecord,
  outcomeFromPython,
  canonicalFromPython,
  type Canonical,
  type Outcome,
} from '../rig/differential';
import { rawGet, rawMetadumpKeys, type MemcachedAddress } from '../rig/raw-memcached';
import { runScript, type Env, type StepOutcome } from './script-node';

const DRIVER = join(REPO_ROOT, 'test', 'differential', 'script_driver.py');

/** A /usr/bin/python3 running script_driver.py: one script per line in, its outcomes per line out. */
export class PythonScripts {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  private stderr = '';
  private closed = false;

  constructor() {
    this.child = spawn(PYTHON, [DRIVER], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.child.stdin.on('error', () => undefined);
    this.child.once('close', (code) => {
      this.closed = true;
      for (const waiter of this.waiting.splice(0))
        waiter.reject(new Error(`script_driver.py exited with ${String(code)}: ${this.stderr.trim()}`));
    });
  }

  async run(steps: unknown[][], env: Env): Promise<StepOutcome[]> {
    if (this.closed) throw new Error(`script_driver.py is not running: ${this.stderr.trim()}`);
    const line = await new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(JSON.stringify({ env, steps: steps.map(encodeArgument) }) + '\n');
    });
    const parsed: unknown = JSON.parse(line);
    if (!Array.isArray(parsed)) throw new Error(`script_driver.py: malformed outcome line: ${line}`);
    return parsed.map((item: unknown): StepOutcome => {
      if (!isRecord(item)) throw new Error(`script_driver.py: malformed outcome: ${JSON.stringify(item)}`);
      return { outcome: outcomeFromPython(item), logged: canonicalFromPython(item.logged) };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }
}

/**
 * An outcome as the user sees it: the wrapper's errors are the host's MulticornException, whose `message` attribute
 * the host reports (str() of the Python exception is the tuple of its arguments); Node's Error has it as message.
 */
function asReported(outcome: Outcome): Outcome {
  if (!('error' in outcome) || outcome.error.class !== 'MulticornException') return outcome;
  const { message: reported, ...others } = outcome.error.attributes;
  if (reported === undefined) return outcome;
  return {
    error: {
      class: outcome.error.class,
      message: typeof reported === 'string' ? reported : JSON.stringify(reported),
      attributes: others,
    },
  };
}

/**
 * The OS's words for a refused connection, as the earlier clients gave them (Node's `connect ECONNREFUSED host:port`,
 * Python's `[Errno 111] Connection refused`): both become one placeholder.
 */
const REFUSED = /connect ECONNREFUSED [0-9.:]+|\[Errno 111\] Connection refused/g;

/** JSON of a step's outcome with the side's own server replaced by placeholders. */
function comparable(step: StepOutcome, env: Env): string {
  let json = JSON.stringify({ outcome: asReported(step.outcome), logged: step.logged }).replace(
    REFUSED,
    '<connection refused>',
  );
  if (env !== null) {
    json = json.split(`${env.host}:${env.port}`).join('<server>');
    json = json.replace(new RegExp(`(?<![0-9])${env.port}(?![0-9])`, 'g'), '<port>');
  }
  return json;
}

export type StepMismatch = { index: number; step: string; node: string; python: string };

/** A `['call', table, 'execute', quals, ...]` step. */
function isExecute(step: unknown[]): boolean {
  return step[0] === 'call' && step[2] === 'execute';
}

/** An execute without an equality qual: a listing, whose rows come in memcached's crawler order. */
function isListing(step: unknown[]): boolean {
  const quals = Array.isArray(step[3]) ? (step[3] as unknown[]) : [];
  return !quals.some((qual) => {
    const operator = Array.isArray(qual) ? (qual as unknown[])[1] : null;
    return operator === '=' || (Array.isArray(operator) && operator[0] === '=');
  });
}

type RowEntries = { dict: Array<[string, unknown]> };

/**
 * The Python rows of an execute, made comparable with Node's where the two may differ without either being wrong:
 * a listing's rows in the order of each memcached's crawler (both sorted by their first entry, the key), and an
 * `expire` column read as the seconds left, which two runs a second apart see one apart (within 2 seconds, Node's
 * value). Anything else stays as Python gave it, so a real difference still shows.
 */
function reconciledRows(fromNode: string, fromPython: string, listing: boolean): string {
  const nodeStep = JSON.parse(fromNode) as { outcome: { ok?: RowEntries[] } };
  const pythonStep = JSON.parse(fromPython) as { outcome: { ok?: RowEntries[] } };
  const nodeRows = nodeStep.outcome.ok;
  const pythonRows = pythonStep.outcome.ok;
  if (!Array.isArray(nodeRows) || !Array.isArray(pythonRows)) return fromPython;
  const keyOf = (row: RowEntries): string => JSON.stringify(row.dict?.[0]);
  const byKey = (a: RowEntries, b: RowEntries): number => {
    const left = keyOf(a);
    const right = keyOf(b);
    return left < right ? -1 : left > right ? 1 : 0;
  };
  if (listing) {
    // memcached's crawler (lru_crawler metadump all) may miss an item the LRU maintainer is moving at that moment,
    // on either server (docs/usage.md: listings are best-effort): a row one side listed and the other did not is
    // left out; every row both listed must agree.
    const nodeKeys = new Set(nodeRows.map(keyOf));
    const pythonKeys = new Set(pythonRows.map(keyOf));
    nodeStep.outcome.ok = nodeRows.filter((row) => pythonKeys.has(keyOf(row))).sort(byKey);
    pythonStep.outcome.ok = pythonRows.filter((row) => nodeKeys.has(keyOf(row))).sort(byKey);
  } else if (nodeRows.length !== pythonRows.length) {
    return fromPython;
  }
  const nodeCompared = nodeStep.outcome.ok!;
  const pythonCompared = pythonStep.outcome.ok!;
  nodeCompared.forEach((nodeRow, i) => {
    const pythonRow = pythonCompared[i]!;
    if (!Array.isArray(nodeRow.dict) || !Array.isArray(pythonRow.dict)) return;
    for (const entry of pythonRow.dict) {
      if (entry[0] !== 'expire' || typeof entry[1] !== 'string') continue;
      const nodeEntry = nodeRow.dict.find((candidate) => candidate[0] === 'expire');
      if (nodeEntry === undefined || typeof nodeEntry[1] !== 'string') continue;
      const difference = Math.abs(Number(nodeEntry[1]) - Number(entry[1]));
      if (Number(nodeEntry[1]) > 0 && Number(entry[1]) > 0 && difference <= 2) entry[1] = nodeEntry[1];
    }
  });
  // Compared against Node's rows in the same order: re-encode both the same way.
  return JSON.stringify(nodeStep) === JSON.stringify(pythonStep)
    ? fromNode
    : JSON.stringify({ ...pythonStep, reconciled: true });
}

/** The steps whose outcomes differ (JSON with placeholders), at most `limit`. */
export function differingSteps(
  steps: unknown[][],
  node: StepOutcome[],
  python: StepOutcome[],
  nodeEnv: Env,
  pythonEnv: Env,
  limit = 3,
): StepMismatch[] {
  const mismatches: StepMismatch[] = [];
  if (node.length !== python.length) {
    return [{ index: -1, step: 'step count', node: String(node.length), python: String(python.length) }];
  }
  for (let index = 0; index < steps.length && mismatches.length < limit; index++) {
    const fromNode = comparable(node[index]!, nodeEnv);
    let fromPython = comparable(python[index]!, pythonEnv);
    if (fromNode !== fromPython && isExecute(steps[index]!)) {
      fromPython = reconciledRows(fromNode, fromPython, isListing(steps[index]!));
    }
    if (fromNode !== fromPython)
      mismatches.push({
        index,
        step: JSON.stringify(steps[index]!.map(encodeArgument)),
        node: fromNode,
        python: fromPython,
      });
  }
  return mismatches;
}

/** Runs a pure script (no memcached) on both sides and expects every step to agree; returns the Node outcomes. */
export async function expectScriptAgreement(
  python: PythonScripts,
  steps: unknown[][],
  label: string,
): Promise<StepOutcome[]> {
  const [fromNode, fromPython] = await Promise.all([runScript(steps, null), python.run(steps, null)]);
  expect(differingSteps(steps, fromNode, fromPython, null, null), `${label}: Node and Python disagree`).toEqual([]);
  return fromNode;
}

/** Whether a step ended in an error; the error's class and (reported) message otherwise null. */
export function errorOf(step: StepOutcome): { class: string; message: string; hint: Canonical } | null {
  const outcome = asReported(step.outcome);
  if (!('error' in outcome)) return null;
  return { class: outcome.error.class, message: outcome.error.message, hint: outcome.error.attributes.hint ?? null };
}

export function okOf(step: StepOutcome): Canonical {
  if (!('ok' in step.outcome)) throw new Error(`expected a result, got ${JSON.stringify(step.outcome)}`);
  return step.outcome.ok;
}

// ---- memcached contents, read with a raw client ----------------------------------------------------------------

/** One item as memcached holds it: key, value (hex), flags, and remaining seconds (-1: never expires). */
export type HeldItem = { key: string; value: string; flags: number; ttl: number };

/**
 * Every live item of the server, by key: the keys the LRU crawler lists, and `candidates` (full keys) in any case,
 * since the crawler can miss an item it does not meet on its walk (one just moved between LRU segments).
 */
export async function heldItems(address: MemcachedAddress, candidates: string[]): Promise<HeldItem[]> {
  const keys = new Map<string, Buffer>();
  for (const candidate of candidates)
    keys.set(Buffer.from(candidate, 'utf8').toString('hex'), Buffer.from(candidate, 'utf8'));
  // The crawler may list a key twice (an item replaced while it walks the LRU): one meta get per key.
  for (const key of await rawMetadumpKeys(address)) keys.set(key.toString('hex'), key);
  const items: HeldItem[] = [];
  for (const key of keys.values()) {
    // The meta get says whether the item is still there (flushed items are not).
    const item = await rawGet(address, key);
    if (item !== null)
      items.push({ key: key.toString('utf8'), value: item.value.toString('hex'), flags: item.flags, ttl: item.ttl });
  }
  return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The two servers' contents agree: same keys, values and flags, and expirations within 2 seconds of each other (the
 * two runs happen at slightly different times; a never-expiring item must be one on both).
 */
export function contentsDiffer(node: HeldItem[], python: HeldItem[]): string | null {
  const shape = (items: HeldItem[]): string =>
    JSON.stringify(items.map(({ key, value, flags, ttl }) => [key, value, flags, ttl === -1]));
  if (shape(node) !== shape(python)) return `Node server holds ${shape(node)}, Python server holds ${shape(python)}`;
  for (let i = 0; i < node.length; i++) {
    if (Math.abs(node[i]!.ttl - python[i]!.ttl) > 2)
      return `key ${node[i]!.key}: ttl ${node[i]!.ttl} in Node, ${python[i]!.ttl} in Python`;
  }
  return null;
}
