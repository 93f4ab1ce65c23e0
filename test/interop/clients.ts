// Runs the real memcached clients (test/interop/clients/*) from the tests: each takes a command, the server list
// and the keys (stdin, one per line) and answers one line per key.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerAddress } from '../../src/options';

export type RealClient = 'cache-memcached' | 'php-memcached' | 'pymemcache-hashclient';

const CLIENTS_DIR = fileURLToPath(new URL('./clients/', import.meta.url));

const COMMAND_LINE: Record<RealClient, { program: string; script: string }> = {
  'cache-memcached': { program: '/usr/bin/perl', script: 'cache-memcached.pl' },
  'php-memcached': { program: '/usr/bin/php', script: 'php-memcached.php' },
  // Debian's Python: the one with python3-pymemcache (the pyenv python3 on PATH has no pymemcache).
  'pymemcache-hashclient': { program: '/usr/bin/python3', script: 'pymemcache-hashclient.py' },
};

/** Runs `client` with `command` over `servers` and `keys`; resolves with its output lines. */
export async function runClient(
  client: RealClient,
  command: 'place' | 'write' | 'read',
  servers: readonly ServerAddress[],
  keys: readonly string[],
  extraArgs: readonly string[] = [],
): Promise<string[]> {
  const { program, script } = COMMAND_LINE[client];
  const serversJson = JSON.stringify(servers.map((server) => [server.host, server.port, server.weight]));
  return new Promise<string[]>((resolve, reject) => {
    const child = execFile(
      program,
      [CLIENTS_DIR + script, command, serversJson, ...extraArgs],
      { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`${client} ${command} failed: ${error.message}\n${stderr}`));
          return;
        }
        const lines = stdout.split('\n');
        lines.pop(); // the text ends with a newline
        resolve(lines);
      },
    );
    child.stdin?.end(keys.map((key) => `${key}\n`).join(''), 'utf8');
  });
}

/** The server position `client` picks for every key, computed by the client library itself (no network). */
export async function clientPlacement(
  client: RealClient,
  servers: readonly ServerAddress[],
  keys: readonly string[],
): Promise<number[]> {
  const lines = await runClient(client, 'place', servers, keys);
  if (lines.length !== keys.length) {
    throw new Error(`${client} place answered ${lines.length} lines for ${keys.length} keys`);
  }
  return lines.map(Number);
}
