// Starts real, private memcached processes on free loopback ports for the tests, and stops them.
// The shared fleet (global setup) serves most tests; `startMemcached` gives a test its own instance when it counts
// server-wide stats or flushes, which would race with other test files on a shared server. The demo's memcached
// (startDetachedMemcached) is started the same way but outlives the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { freeLoopbackPort, LOOPBACK } from './ports';
import { errorCode, rawCommand } from './raw-memcached';

export type MemcachedAddress = { host: string; port: number };

export const MEMCACHED_BINARY = '/usr/bin/memcached';
/** How long one instance may take to answer `version` before we give up on it (a stuck start, not a slow test). */
const READY_DEADLINE_MS = 15_000;
/** A port picked as free may be taken by someone else before memcached binds it; retry with a new one. */
const PORT_ATTEMPTS = 5;

const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every instance still running when the Node process exits, so a crashed test run leaves no orphans. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveProcesses) {
      child.kill('SIGKILL');
    }
  });
}

/**
 * One `version` round trip; resolves true when a memcached answered it (`VERSION ...`, or the -Y login error). `tls`:
 * over TLS without verification (a memcached started with -Z accepts nothing else).
 */
async function answersVersion(address: MemcachedAddress, tls = false): Promise<boolean> {
  try {
    const reply = await rawCommand(address, 'version', { timeoutMs: 1_000, tls });
    // A memcached started with -Y (ASCII authentication) answers every command before login with this error.
    return reply.startsWith('VERSION ') || reply.startsWith('CLIENT_ERROR unauthenticated');
  } catch (error) {
    // A TLS memcached that requires a client certificate (ssl_verify_mode 2) answers the probe's handshake so.
    return errorCode(error) === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      liveProcesses.delete(child);
      resolve();
      return;
    }
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      liveProcesses.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

type StartAttempt = { ok: true; child: ChildProcess; address: MemcachedAddress } | { ok: false; reason: string };

/**
 * Starts memcached on `fixedPort` (a free port when undefined) and waits until it answers `version`. `detachedLog`:
 * in a session of its own with its stderr appended to that file, not killed when this process exits (the demo's).
 */
async function attemptStart(
  extraArgs: readonly string[],
  fixedPort?: number,
  listen: string = LOOPBACK,
  detachedLog?: string,
): Promise<StartAttempt> {
  const port = fixedPort ?? (await freeLoopbackPort());
  const args = ['-u', 'memcache', '-l', listen, '-p', String(port), '-U', '0', ...extraArgs];
  let stderr = '';
  let child: ChildProcess;
  if (detachedLog === undefined) {
    child = spawn(MEMCACHED_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    liveProcesses.add(child);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
  } else {
    const log = openSync(detachedLog, 'a');
    child = spawn(MEMCACHED_BINARY, args, { stdio: ['ignore', 'ignore', log], detached: true });
    closeSync(log);
  }
  let exited = false;
  let spawnError: Error | undefined;
  child.once('exit', () => {
    exited = true;
    liveProcesses.delete(child);
    if (detachedLog !== undefined) stderr = readFileSync(detachedLog, 'utf8');
  });
  child.once('error', (error) => {
    spawnError = error;
    exited = true;
  });
  const address: MemcachedAddress = { host: LOOPBACK, port };
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) {
      liveProcesses.delete(child);
      return { ok: false, reason: `could not run ${MEMCACHED_BINARY}: ${spawnError.message}` };
    }
    if (exited) {
      return { ok: false, reason: `memcached exited at start (port ${port}): ${stderr.trim() || 'no output'}` };
    }
    if (await answersVersion(address, extraArgs.includes('-Z'))) {
      if (detachedLog !== undefined) child.unref();
      return { ok: true, child, address };
    }
    await delay(25);
  }
  await stopProcess(child);
  return {
    ok: false,
    reason: `memcached on ${LOOPBACK}:${port} did not answer 'version' within ${READY_DEADLINE_MS} ms`,
  };
}

async function startOne(extraArgs: readonly string[]): Promise<{ child: ChildProcess; address: MemcachedAddress }> {
  if (!existsSync(MEMCACHED_BINARY)) {
    throw new Error(
      `${MEMCACHED_BINARY} not found: install it with 'apt-get install memcached' (or run 'npm run bootstrap' as root)`,
    );
  }
  installExitHook();
  const reasons: string[] = [];
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const result = await attemptStart(extraArgs);
    if (result.ok) return result;
    reasons.push(result.reason);
    // A missing binary or a bad flag will not get better on another port.
    if (!result.reason.includes('Address already in use')) break;
  }
  throw new Error(`could not start memcached: ${reasons.join('; ')}`);
}

/** A memcached the test controls: stopped cleanly, or killed with SIGKILL (as a crash or an OOM kill would). */
export type MemcachedHandle = { address: MemcachedAddress; stop(): Promise<void>; kill(): Promise<void> };

function killProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      liveProcesses.delete(child);
      resolve();
      return;
    }
    child.once('exit', () => {
      liveProcesses.delete(child);
      resolve();
    });
    child.kill('SIGKILL');
  });
}

/** A private memcached instance (for tests that count server stats or flush); `extraArgs` are appended to the command line. */
export async function startMemcached(extraArgs: string[] = []): Promise<MemcachedHandle> {
  const { child, address } = await startOne(extraArgs);
  return {
    address,
    stop: () => stopProcess(child),
    kill: () => killProcess(child),
  };
}

/**
 * A memcached on a given port (a test that stops a server and starts it again where its clients expect it, or the
 * README's 11211), listening on `listen` (comma-separated addresses); killed with the others if the run crashes.
 */
export async function startMemcachedOnPort(
  port: number,
  extraArgs: string[] = [],
  listen: string = LOOPBACK,
): Promise<MemcachedHandle> {
  if (!existsSync(MEMCACHED_BINARY)) {
    throw new Error(
      `${MEMCACHED_BINARY} not found: install it with 'apt-get install memcached' (or run 'npm run bootstrap' as root)`,
    );
  }
  installExitHook();
  const result = await attemptStart(extraArgs, port, listen);
  if (!result.ok) throw new Error(`could not start memcached on port ${port}: ${result.reason}`);
  const { child, address } = result;
  return { address, stop: () => stopProcess(child), kill: () => killProcess(child) };
}

/**
 * A memcached that outlives this process (the demo's), on `port`, listening on `listen`: in a session of its own, its
 * stderr appended to `logFile`, and not killed when this process exits. Stop it by its `pid`.
 */
export async function startDetachedMemcached(
  port: number,
  extraArgs: string[],
  listen: string,
  logFile: string,
): Promise<{ address: MemcachedAddress; pid: number }> {
  if (!existsSync(MEMCACHED_BINARY)) {
    throw new Error(
      `${MEMCACHED_BINARY} not found: install it with 'apt-get install memcached' (or run 'npm run bootstrap' as root)`,
    );
  }
  const result = await attemptStart(extraArgs, port, listen, logFile);
  if (!result.ok) throw new Error(`could not start memcached on port ${port}: ${result.reason}`);
  return { address: result.address, pid: result.child.pid! };
}

/** `count` independent memcached instances, started in parallel; all are stopped if any fails to start. */
export async function startMemcachedFleet(
  count: number,
): Promise<{ servers: MemcachedAddress[]; stop(): Promise<void> }> {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new Error(`startMemcachedFleet: count must be a positive integer, got ${count}`);
  }
  const results = await Promise.allSettled(Array.from({ length: count }, () => startOne([])));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(started.map(({ child }) => stopProcess(child)));
    throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
  }
  return {
    servers: started.map(({ address }) => address),
    stop: async () => {
      await Promise.all(started.map(({ child }) => stopProcess(child)));
    },
  };
}

/**
 * Every address `localhost` resolves to here, for a memcached that tables with `host 'localhost'` must reach:
 * pymemcache connects only to the first address getaddrinfo returns, which is ::1 on hosts listing it first.
 */
export async function localhostAddresses(): Promise<string[]> {
  const found = await lookup('localhost', { all: true });
  return [...new Set(found.map((entry) => entry.address))];
}

let prefixCounter = 0;
/** A key prefix unique to one test, so tests on the shared servers never see each other's keys. */
export function uniquePrefix(label: string): string {
  prefixCounter += 1;
  return `t${process.pid}_${Date.now().toString(36)}_${prefixCounter}_${label}:`;
}
