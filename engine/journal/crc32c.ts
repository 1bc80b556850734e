/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8.
 *
 * Written in TypeScript rather than using node:zlib.crc32 because the journal
 * checksums a sub-range of a reusable buffer per record: zlib.crc32 takes no
 * offsets, so every call would need a `subarray` object on the append path.
 * CRC-32C detects all burst errors up to 32 bits and is the checksum storage
 * systems (ext4, iSCSI, LevelDB) use for the same purpose: torn/corrupt records.
 */
const POLY = 0x82f63b78;

/** 8 tables of 256 entries, table k maps a byte k positions ahead. */
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

/** CRC-32C of buf[start, end), as an unsigned 32-bit integer. `prev` continues a running CRC. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, prev = 0): number {
  let c = ~prev;
  let i = start;
  const stop8 = end - 8;
  while (i <= stop8) {
    const a = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) ^ c;
    c =
      T[7 * 256 + (a & 0xff)]! ^
      T[6 * 256 + ((a >>> 8) & 0xff)]! ^
      T[5 * 256 + ((a >>> 16) & 0xff)]! ^
      T[4 * 256 + (a >>> 24)]! ^
      T[3 * 256 + buf[i + 4]!]! ^
      T[2 * 256 + buf[i + 5]!]! ^
      T[1 * 256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
