// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm), written from its specification.
// All 32-bit arithmetic goes through the runtime's u32 helpers: JS numbers and Python ints overflow differently.
import { intDiv, u32Add, u32Mul, u32Rotl, u32Shr, u32Xor } from '../ports/runtime';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function scrambleBlock(k: number): number {
  return u32Mul(u32Rotl(u32Mul(k, C1), 15), C2);
}

/** The final avalanche of MurmurHash3 (fmix32). */
function finalMix(h: number): number {
  let x = u32Xor(h, u32Shr(h, 16));
  x = u32Mul(x, 0x85ebca6b);
  x = u32Xor(x, u32Shr(x, 13));
  x = u32Mul(x, 0xc2b2ae35);
  return u32Xor(x, u32Shr(x, 16));
}

/** MurmurHash3_x86_32 of `data` (each element one byte, 0..255) with `seed`; an unsigned 32-bit result. */
export function murmur3x86Hash32(data: readonly number[], seed: number): number {
  const length = data.length;
  const tailStart = intDiv(length, 4) * 4; // the bytes after the last whole 4-byte block
  let h = seed;
  for (let i = 0; i < tailStart; i += 4) {
    // Little-endian block: byte 0 is the least significant.
    const block = data[i]! + data[i + 1]! * 0x100 + data[i + 2]! * 0x10000 + data[i + 3]! * 0x1000000;
    h = u32Xor(h, scrambleBlock(block));
    h = u32Rotl(h, 13);
    h = u32Add(u32Mul(h, 5), 0xe6546b64);
  }
  const tailLength = length - tailStart;
  if (tailLength > 0) {
    let tail = 0;
    if (tailLength === 3) tail = data[tailStart + 2]! * 0x10000;
    if (tailLength >= 2) tail = tail + data[tailStart + 1]! * 0x100;
    tail = tail + data[tailStart]!;
    h = u32Xor(h, scrambleBlock(tail));
  }
  h = u32Xor(h, length);
  return finalMix(h);
}
