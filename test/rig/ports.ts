// Loopback ports for the rig, the tests and the demo: one the kernel says is free (bound to port 0, then released:
// a server started on it, or a port nobody listens on), and whether something listens on a given one.
import { connect, createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port on 127.0.0.1 that was free a moment ago; a caller that binds it retries with another if it is taken. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string')
          reject(new Error('could not read the port of a probe socket'));
        else resolve(address.port);
      });
    });
  });
}

/** Whether a TCP connection to `host`:`port` is accepted. */
export async function portIsOpen(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
