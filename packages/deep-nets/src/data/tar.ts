/**
 * A minimal reader for (ustar / GNU / pax) tar archives, enough to unpack the official CIFAR archives
 * without a dependency. Pure: bytes in, entries out.
 *
 * Format: a sequence of 512-byte headers, each followed by the entry's data padded to 512 bytes;
 * two zero blocks end the archive. Header fields used: name (0..100), size (124..136, octal, or
 * base-256 when the high bit is set), checksum (148..156), type flag (156), ustar prefix (345..500).
 * GNU long names (type 'L') and pax extended headers (type 'x', key "path") override the next name.
 */
export interface TarEntry {
  path: string;
  /** "file" for regular files, "directory", or "other" (links, devices: skipped by extraction). */
  type: "file" | "directory" | "other";
  data: Uint8Array;
}

const BLOCK = 512;

function readString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(start, end));
}

function readSize(bytes: Uint8Array, start: number): number {
  if (bytes[start]! & 0x80) {
    // GNU base-256 encoding for sizes of 8 GiB and more.
    let value = 0;
    for (let i = start + 1; i < start + 12; i++) value = value * 256 + bytes[i]!;
    return value;
  }
  const text = readString(bytes, start, 12).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function checksumMatches(header: Uint8Array): boolean {
  const stored = parseInt(readString(header, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === stored;
}

function paxPath(data: Uint8Array): string | null {
  // Records are "<length> <key>=<value>\n".
  const text = new TextDecoder().decode(data);
  let offset = 0;
  while (offset < text.length) {
    const space = text.indexOf(" ", offset);
    if (space < 0) break;
    const length = parseInt(text.slice(offset, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = text.slice(space + 1, offset + length - 1);
    const equals = record.indexOf("=");
    if (record.slice(0, equals) === "path") return record.slice(equals + 1);
    offset += length;
  }
  return null;
}

/** Parses a whole tar archive. Throws on a bad header checksum or an entry that runs past the end. */
export function readTar(bytes: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let overridePath: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((value) => value === 0)) break;
    if (!checksumMatches(header)) throw new Error(`tar: bad header checksum at byte ${offset}`);
    const size = readSize(header, 124);
    const typeFlag = String.fromCharCode(header[156]!);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new Error(`tar: entry at byte ${offset} needs ${size} bytes but the archive ends first (truncated)`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeFlag === "L") {
      overridePath = readString(data, 0, data.length);
      continue;
    }
    if (typeFlag === "x") {
      overridePath = paxPath(data) ?? overridePath;
      continue;
    }
    if (typeFlag === "g") continue;
    const magic = readString(header, 257, 6);
    const prefix = magic.startsWith("ustar") ? readString(header, 345, 155) : "";
    const name = readString(header, 0, 100);
    const entryPath = overridePath ?? (prefix ? `${prefix}/${name}` : name);
    overridePath = null;
    const type = typeFlag === "0" || typeFlag === "\0" || typeFlag === "7" ? "file" : typeFlag === "5" ? "directory" : "other";
    entries.push({ path: entryPath, type, data });
  }
  return entries;
}
