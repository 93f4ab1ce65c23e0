// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
import { openSocket, type Socket } from './ports/socket';
import type { Float } from './ports/runtime';

export async function connect(timeout: Float): Promise<Socket> {
  const options = { connectTimeout: timeout };
  return await openSocket('localhost', 11211, options);
}
