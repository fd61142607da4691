import type SqliteDatabase from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/** The prefix lengths documents_fts keeps a prefix index for (`prefix = '2 3'`). */
const INDEXED_PREFIX = 3;
/** More terms than this under one prefix: let FTS5 merge them, as OR-ing them costs as much. */
const MAX_TERMS = 8;

const quoted = (term: string) => `"${term.replaceAll('"', '""')}"`;

/**
 * The FTS5 expression for the word being typed (the last one, matched as a prefix).
 *
 * A prefix longer than the prefix index makes FTS5 read and merge the whole doclist of every term under
 * it before the first row comes out: for "leather" in a million products, most of a search's time and
 * its slowest outliers. When the prefix, stemmed as the index stems it, names only a few terms, those
 * terms OR-ed match the same documents and are walked lazily, newest first. A term is used only when it
 * stems to itself (Porter is not idempotent: "agre" becomes "agr"), since the query stems it again.
 */
export function prefixExpression(db: SqliteDatabase.Database, version: () => number | string): (word: string) => string {
  // The index's tokenizer, reached through a scratch table, so the stems are exactly the index's.
  db.exec(`create virtual table if not exists temp.stemmer using fts5(word, tokenize = 'porter unicode61 remove_diacritics 2');
    create virtual table if not exists temp.stemmer_tokens using fts5vocab(temp, stemmer, 'instance');
    create virtual table if not exists temp.documents_terms using fts5vocab(main, documents_fts, 'row');`);
  const insert = db.prepare('insert into temp.stemmer (rowid, word) values (?, ?)');
  const tokens = db.prepare<[], { doc: number; term: string }>('select doc, term from temp.stemmer_tokens');
  const clear = db.prepare('delete from temp.stemmer');
  const stemAll = db.transaction((words: string[]): (string | undefined)[] => {
    for (const [i, w] of words.entries()) insert.run(i, w);
    const stems: (string | undefined)[] = new Array(words.length);
    for (const t of tokens.all()) stems[t.doc] = stems[t.doc] === undefined ? t.term : '';
    clear.run();
    return stems;
  });
  // A word's stem never changes, and stemming through the scratch table is a write transaction: about
  // 2 ms of a search as you type (bench:read).
  const known = new LRUCache<string, { stem: string | undefined }>({ max: 10_000 });
  const stemsOf = (words: string[]): (string | undefined)[] => {
    const unknown = words.filter((w) => !known.has(w));
    if (unknown.length > 0) {
      const stems = stemAll(unknown);
      for (const [i, word] of unknown.entries()) known.set(word, { stem: stems[i] });
    }
    return words.map((w) => known.get(w)?.stem);
  };
  const termsUnder = db
    .prepare<[string, string, number], string>('select term from temp.documents_terms where term >= ? and term < ? limit ?')
    .pluck();
  // fts5vocab counts a term's documents as it lists it, so listing "leather" in a million products reads
  // its whole doclist (about 5 ms). The terms under a stem change only when the index does.
  const termsKnown = new LRUCache<string, string[]>({ max: 10_000 });
  let termsVersion = version();
  const termsOf = (stem: string): string[] => {
    const now = version();
    if (now !== termsVersion) {
      termsKnown.clear();
      termsVersion = now;
    }
    let terms = termsKnown.get(stem);
    if (!terms) termsKnown.set(stem, (terms = termsUnder.all(stem, `${stem}\u{10FFFF}`, MAX_TERMS + 1)));
    return terms;
  };

  return (word) => {
    const fallback = `${quoted(word)}*`;
    if (word.length <= INDEXED_PREFIX) return fallback;
    const [stem] = stemsOf([word]);
    if (!stem) return fallback;
    const terms = termsOf(stem);
    if (terms.length === 0 || terms.length > MAX_TERMS) return fallback;
    if (stemsOf(terms).some((s, i) => s !== terms[i])) return fallback;
    return terms.length === 1 ? quoted(terms[0]!) : `(${terms.map(quoted).join(' OR ')})`;
  };
}
