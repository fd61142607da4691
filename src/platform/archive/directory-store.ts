import fs from 'node:fs';
import path from 'node:path';
import type { ArchiveStore } from './store.js';

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

function checked(name: string): string {
  if (!NAME.test(name) || name.startsWith('.')) throw new Error(`not an archive file name: ${name}`);
  return name;
}

async function sync(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Archive files in a directory: written to a temporary name, synced, renamed, and the directory synced. */
export function createDirectoryArchiveStore(dir: string): ArchiveStore {
  return {
    async put(name, content) {
      await fs.promises.mkdir(dir, { recursive: true });
      const target = path.join(dir, checked(name));
      if (fs.existsSync(target)) throw new Error(`archive file ${name} exists`);
      const temporary = `${target}.partial`;
      await fs.promises.writeFile(temporary, content);
      await sync(temporary);
      await fs.promises.rename(temporary, target);
      await sync(dir);
    },
    async read(name, offset, length) {
      const handle = await fs.promises.open(path.join(dir, checked(name)), 'r');
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        if (bytesRead !== length) throw new Error(`archive file ${name} ends before ${offset + length}`);
        return buffer;
      } finally {
        await handle.close();
      }
    },
    async list() {
      if (!fs.existsSync(dir)) return [];
      return (await fs.promises.readdir(dir)).filter((name) => NAME.test(name) && !name.endsWith('.partial'));
    },
    async remove(name) {
      await fs.promises.rm(path.join(dir, checked(name)), { force: true });
      await fs.promises.rm(path.join(dir, `${checked(name)}.partial`), { force: true });
    },
  };
}
