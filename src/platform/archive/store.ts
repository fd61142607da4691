/**
 * Where cold data lives: named, immutable files. The first implementation is a directory
 * (directory-store.ts); an object store (S3 and the like) is the second, behind the same four calls.
 */
export interface ArchiveStore {
  /** Stores a new file whole and durably before it resolves; a name already stored is refused. */
  put(name: string, content: Buffer): Promise<void>;
  /** `length` bytes of a file from `offset`. */
  read(name: string, offset: number, length: number): Promise<Buffer>;
  list(): Promise<string[]>;
  /** Removes a file; one that is not there is already removed. */
  remove(name: string): Promise<void>;
}
