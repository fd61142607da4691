import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/**
 * Searches no one made before in this run: words of real titles (the last one as typed so far), some
 * with a category or a price ceiling, each string once, so none is answered from a kept window.
 */
export function distinctSearches(dataDir: string, skip = 0): () => string {
  const sqlite = new SqliteDatabase(path.join(dataDir, 'search.db'), { readonly: true });
  const titles = sqlite
    .prepare('select title_key as title, category from documents where active = 1 and rowid % 97 = 0 limit 4000')
    .all() as { title: string; category: string }[];
  sqlite.close();
  let seed = 7;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const made = new Set<string>();
  for (let tries = 0; made.size < 30_000 && tries < 300_000; tries += 1) {
    const { title, category } = titles[Math.floor(rnd() * titles.length)]!;
    const words = title.split(' ');
    const from = Math.floor(rnd() * words.length);
    const picked = words.slice(from, from + 1 + Math.floor(rnd() * 2));
    const last = picked.length - 1;
    if (rnd() < 0.3 && picked[last]!.length > 4) picked[last] = picked[last]!.slice(0, 3 + Math.floor(rnd() * (picked[last]!.length - 3)));
    const params = new URLSearchParams({ q: picked.join(' ') });
    if (rnd() < 0.3) params.set('category', category);
    if (rnd() < 0.5) params.set('maxPrice', String(2_000 + 100 * Math.floor(rnd() * 500)));
    made.add(`/v1/search?${params}`);
  }
  const list = [...made];
  let next = skip;
  return () => list[next++ % list.length]!;
}
