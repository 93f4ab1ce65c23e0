// twemproxy (Debian's nutcracker 0.5) in front of real memcached processes, started per test file from a YAML
// configuration written here: distribution ketama with hash md5, which places keys exactly as the wrapper's `ketama`
// distribution does (test/reliability/twemproxy.test.ts checks it), auto_eject_hosts false, and the servers named
// host:port:1 in the order given. Its stats port (its own JSON statistics) is bound on loopback too.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, LOOPBACK } from './ports';
import type { MemcachedAddress } from './memcached';
import { rawCommand } from './raw-memcached';

export const NUTCRACKER_BINARY = '/usr/sbin/nutcracker';
const READY_DEADLINE_MS = 15_000;

export type TwemproxyHandle = {
  /** Where clients connect: the proxy's listen address. */
  address: MemcachedAddress;
  /** The configuration file, as written. */
  config: string;
  stop(): Promise<void>;
};

/** One `version` round trip through the proxy (twemproxy answers it from the first server). */
async function answersVersion(address: MemcachedAddress): Promise<boolean> {
  try {
    return (await rawCommand(address, 'version', { timeoutMs: 1_000 })).startsWith('VERSION ');
  } catch {
    return false;
  }
}

/** The YAML twemproxy reads: one pool listening on `port`, in front of `servers`. */
export function twemproxyConfig(port: number, servers: readonly MemcachedAddress[]): string {
  return [
    'pymcache:',
    `  listen: ${LOOPBACK}:${port}`,
    '  hash: md5',
    '  distribution: ketama',
    '  auto_eject_hosts: false',
    '  timeout: 2000',
    '  servers:',
    ...servers.map((server) => `    - ${server.host}:${server.port}:1`),
    '',
  ].join('\n');
}

/** Starts twemproxy in front of `servers` and waits until it answers `version`. */
export async function startTwemproxy(servers: readonly MemcachedAddress[]): Promise<TwemproxyHandle> {
  if (!existsSync(NUTCRACKER_BINARY)) {
    throw new Error(
      `${NUTCRACKER_BINARY} not found: install it with 'apt-get install nutcracker' (or run 'npm run bootstrap' as root)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'pymcache-twemproxy-'));
  const [port, statsPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const config = twemproxyConfig(port, servers);
  const configFile = join(dir, 'nutcracker.yml');
  const logFile = join(dir, 'nutcracker.log');
  writeFileSync(configFile, config);
  const child: ChildProcess = spawn(
    NUTCRACKER_BINARY,
    ['-c', configFile, '-s', String(statsPort), '-a', LOOPBACK, '-o', logFile],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const address: MemcachedAddress = { host: LOOPBACK, port };
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answersVersion(address)) return { address, config, stop };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  await stop();
  throw new Error(`twemproxy did not start on ${LOOPBACK}:${port}: ${stderr.trim()} ${log.trim()}`);
}
