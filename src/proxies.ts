// A proxy in front of memcached (twemproxy, mcrouter) forwards the key commands (get, set, delete, touch, ...) and
// refuses some others. twemproxy 0.5 refuses `stats`, `flush_all`, meta commands (`mg`, `ms`, ...) and
// `lru_crawler` by closing the connection, without a reply; to the client that looks like a server that went away.
// When a command the wrapper sends apart from the key commands meets a closed connection, a `version` on a new
// connection tells the two apart: a server that answers it is up, and refused that command.
import type { Connection } from './memcache/connection';
import { encodeVersion, type ReplyReader } from './memcache/protocol';
import { TransportFailure } from './memcache/connection';
import type { Float } from './ports/runtime';

/** The server closed the connection on `command` but answers `version`: a proxy that does not forward it. */
export class CommandRefused extends Error {
  /** The command as memcached spells it (`stats settings`, `lru_crawler metadump`, ...). */
  readonly command: string;

  constructor(command: string) {
    super('the server closed the connection on "' + command + '" and answers other commands');
    this.command = command;
  }
}

/** How a proxy answers a command it does not forward: the connection closed (or reset) while its reply was awaited. */
export function closedWithoutReply(error: unknown): boolean {
  return (
    error instanceof TransportFailure &&
    error.phase === 'receive' &&
    (error.failure === 'closed' || error.failure === 'reset')
  );
}

function readVersion(reader: ReplyReader): string | null {
  return reader.readVersion();
}

/** Whether the server answers `version` on a (new) connection; any failure is a no, and leaves the connection closed. */
export async function answersVersion(connection: Connection, connectTimeout: Float, timeout: Float): Promise<boolean> {
  try {
    await connection.ready(connectTimeout);
    await connection.send(encodeVersion(), timeout);
    await connection.receive(readVersion, timeout);
    connection.done();
    return true;
  } catch (error) {
    connection.close();
    return false;
  }
}

/**
 * `failure` of `command` turned into a CommandRefused when the server closed the connection without a reply and then
 * answers `version`; otherwise `failure` as it is.
 */
export async function refusalOrFailure(
  failure: unknown,
  command: string,
  connection: Connection,
  connectTimeout: Float,
  timeout: Float,
): Promise<Error> {
  if (closedWithoutReply(failure) && (await answersVersion(connection, connectTimeout, timeout)))
    return new CommandRefused(command);
  if (failure instanceof Error) return failure;
  return new Error('unexpected failure during ' + command);
}
