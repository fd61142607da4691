import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Where one record sits in an archive file, and the checksum it must have when read back. */
export interface RecordPlace {
  offset: number;
  length: number;
  sha256: string;
}

/**
 * An archive file of records, each its own gzip member holding one JSON line: a record is read alone by
 * its place, and the whole file is still one gzip stream (`zcat` lists every record).
 */
export function encodeRecords<K>(records: { key: K; value: unknown }[]): { content: Buffer; places: Map<K, RecordPlace>; sha256: string } {
  const parts: Buffer[] = [];
  const places = new Map<K, RecordPlace>();
  let offset = 0;
  for (const { key, value } of records) {
    const member = gzipSync(`${JSON.stringify(value)}\n`);
    places.set(key, { offset, length: member.length, sha256: sha256(member) });
    parts.push(member);
    offset += member.length;
  }
  const content = Buffer.concat(parts);
  return { content, places, sha256: sha256(content) };
}

export class ArchiveCorrupt extends Error {
  override name = 'ArchiveCorrupt';
}

/** One record back from its bytes; ArchiveCorrupt when they are not what was stored. */
export function decodeRecord<T>(bytes: Buffer, expectedSha256: string): T {
  if (sha256(bytes) !== expectedSha256) throw new ArchiveCorrupt('an archived record does not match its checksum');
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as T;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
