import type SqliteDatabase from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { groupAttributeFacets, topCounts, type SearchHit, type SearchQuery, type SearchResult } from './query.js';
import { EXACT_TITLE_BONUS } from './search-index.js';
import { prefixExpression } from './sqlite-prefix.js';
import { attributeTag, categoryTag } from './sqlite-schema.js';

/**
 * FTS5 match expression: every word must occur (stemmed), the last as typed so far (`lastWord`, see
 * prefixExpression); then the filter tokens.
 */
function matchExpression(query: SearchQuery, lastWord: string | undefined): string {
  const words = query.terms.map((t, i) => (i === query.terms.length - 1 ? (lastWord ?? `"${t}"*`) : `"${t}"`));
  const tags = [
    ...(query.category === undefined ? [] : [categoryTag(query.category)]),
    ...query.attributes.map((a) => attributeTag(a.name, a.value)),
  ].map((t) => `tags : "${t}"`);
  return [...words, ...tags].join(' AND ');
}

/** Windows kept per reader; one is at most `window` small rows and its facet counts. */
const WINDOWS_KEPT = 100;

/**
 * The reading half of the embedded index: a search ranked by BM25 (title weighs most) over a window of the
 * newest matches, or a browse of the newest documents, with facet counts. Synchronous, on the connection
 * it is given. `version` changes whenever the index may have changed (a commit by any connection).
 */
export function createSqliteSearchReader(
  db: SqliteDatabase.Database,
  window: number,
  version: () => number | string,
): (query: SearchQuery) => SearchResult {
  const typedWord = prefixExpression(db, version);
  const where = (clauses: string[]) => (clauses.length === 0 ? '' : ` and ${clauses.join(' and ')}`);

  function priceFilters(query: SearchQuery): { sql: string[]; params: Record<string, unknown> } {
    const sql: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.minPrice !== undefined) {
      sql.push('d.price_min >= @minPrice');
      params.minPrice = query.minPrice;
    }
    if (query.maxPrice !== undefined) {
      sql.push('d.price_min <= @maxPrice');
      params.maxPrice = query.maxPrice;
    }
    return { sql, params };
  }

  type Counted = { key: string; count: number };
  type Pair = { name: string; value: string; count: number };
  interface RawRow {
    rowid: number;
    id: string;
    category: string;
    pairs: string;
    rank: number;
    titleKey: string;
  }
  interface WindowRow {
    rowid: number;
    id: string;
    category: string;
    pairs: [string, string][];
    rank: number;
    titleKey: string;
  }

  // Queries come in a few shapes (which filters are set); compile each once.
  const statements = new Map<string, SqliteDatabase.Statement>();
  const statement = (source: string): SqliteDatabase.Statement => {
    let prepared = statements.get(source);
    if (!prepared) statements.set(source, (prepared = db.prepare(source)));
    return prepared;
  };

  const withoutCategory = (query: SearchQuery): SearchQuery => {
    const { category: _left, ...others } = query;
    return others;
  };

  /**
   * The `window` newest documents that match the words and the filter tokens, priced within range: FTS5
   * intersects its doclists newest first and stops at the window, so a word in 150,000 products costs
   * what a rare one does. BM25 only when asked (it is most of the cost). The tokens could in theory
   * collide, so the exact category and attributes are checked on what comes out. With neither words nor
   * tokens (a price filter alone), the newest documents are walked instead.
   */
  function windowOf(query: SearchQuery, rank: boolean, lastWord: string | undefined): { rows: WindowRow[]; full: boolean } {
    const price = priceFilters(query);
    const match = matchExpression(query, lastWord);
    const raw = (
      match === ''
        ? statement(`select d.rowid as rowid, 0 as rank, d.id as id, d.category as category, d.title_key as titleKey, d.pairs as pairs
          from documents d where d.active = 1${where(price.sql)} order by d.id desc limit @window`).all({ ...price.params, window })
        : statement(`select f.rowid as rowid, ${rank ? 'f.rank' : '0'} as rank, d.id as id, d.category as category, d.title_key as titleKey, d.pairs as pairs
          from documents_fts f join documents d on d.rowid = f.rowid where documents_fts match @match${where(price.sql)} order by f.rowid desc limit @window`).all(
            { ...price.params, match, window },
          )
    ) as RawRow[];
    const rows: WindowRow[] = [];
    for (const r of raw) {
      if (query.category !== undefined && r.category !== query.category) continue;
      const pairs = JSON.parse(r.pairs) as [string, string][];
      if (query.attributes.every((a) => pairs.some(([n, v]) => n === a.name && v === a.value))) rows.push({ ...r, pairs });
    }
    return { rows, full: raw.length >= window };
  }

  function countBy<T>(rows: T[], keysOf: (row: T) => string[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const row of rows) for (const key of keysOf(row)) counts.set(key, (counts.get(key) ?? 0) + 1);
    return counts;
  }

  function facetsOf(rows: WindowRow[], categoryRows: WindowRow[]): { categories: Counted[]; attributes: Pair[] } {
    const categories = [...countBy(categoryRows, (r) => [r.category])].map(([key, count]) => ({ key, count }));
    const attributes = [...countBy(rows, (r) => r.pairs.map(([n, v]) => `${n}\u0000${v}`))].map(([key, count]) => {
      const [name, value] = key.split('\u0000') as [string, string];
      return { name, value, count };
    });
    return { categories, attributes };
  }

  /** What ranking a page needs of a window row; the pairs and category were counted already. */
  type Ranked = Pick<WindowRow, 'rowid' | 'id' | 'rank' | 'titleKey'>;
  type Windows = { rows: Ranked[]; facets: { categories: Counted[]; attributes: Pair[] }; exhaustive: boolean };
  /**
   * A query's windows, ranked and counted, are kept until the index changes: BM25 alone reads the whole
   * doclist of each word to weigh it (about 4 ms for a word in 150,000 products), so the next page of a
   * search, and the searches many shoppers make, cost a lookup instead. Exact, as the cache is dropped
   * on any commit to the index.
   */
  const kept = new LRUCache<string, Windows>({ max: WINDOWS_KEPT });
  let keptVersion = version();
  function windows(query: SearchQuery, rank: boolean): Windows {
    const now = version();
    if (now !== keptVersion) {
      kept.clear();
      keptVersion = now;
    }
    const { terms, category, minPrice, maxPrice, attributes } = query;
    const key = JSON.stringify([rank, terms, category, minPrice, maxPrice, attributes]);
    let found = kept.get(key);
    if (!found) kept.set(key, (found = windowsOf(query, rank)));
    return found;
  }

  /** The window of the query, and the window its category counts come from (the category filter left out). */
  function windowsOf(query: SearchQuery, rank: boolean): Windows {
    const last = query.terms[query.terms.length - 1];
    const lastWord = last === undefined ? undefined : typedWord(last);
    const main = windowOf(query, rank, lastWord);
    const categories = query.category === undefined ? main : windowOf(withoutCategory(query), false, lastWord);
    return {
      rows: main.rows.map(({ rowid, id, rank, titleKey }) => ({ rowid, id, rank, titleKey })),
      facets: facetsOf(main.rows, categories.rows),
      exhaustive: !main.full && !categories.full,
    };
  }

  const jsonOf = db.prepare<[string], { rowid: number; json: string }>(
    'select rowid, json from documents where rowid in (select value from json_each(?))',
  );

  /** Ranked (exact title first) over the window; the cursor and the page are cut from it. */
  function fullText(query: SearchQuery) {
    const { rows, facets, exhaustive } = windows(query, true);
    const after = query.after !== undefined && 'score' in query.after ? query.after : undefined;
    const ranked = rows
      .map((r) => ({ rowid: r.rowid, id: r.id, score: r.rank - (r.titleKey === query.phrase ? EXACT_TITLE_BONUS : 0) }))
      .filter((r) => after === undefined || r.score > after.score || (r.score === after.score && r.id > after.id))
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, query.limit + 1);
    const json = new Map(jsonOf.all(JSON.stringify(ranked.map((r) => r.rowid))).map((r) => [r.rowid, r.json]));
    const hits: SearchHit[] = ranked.map((r) => ({ id: r.id, score: r.score, json: json.get(r.rowid)! }));
    return { hits, ...facets, exhaustive };
  }

  const attributeCount = db.prepare<[string, string], { n: number | null }>(
    'select sum(count) as n from attribute_counts where name = ? and value = ?',
  );
  const attributeCountIn = db.prepare<[string, string, string], { n: number | null }>(
    'select count as n from attribute_counts where category = ? and name = ? and value = ?',
  );
  const documentsIn = db.prepare<[string], { n: number | null }>('select count as n from category_counts where category = ?');
  const allDocuments = db.prepare<[], { n: number | null }>('select sum(count) as n from category_counts');

  /**
   * How browse hits check an attribute, chosen from the counts kept: a common value is probed row by row
   * as the newest documents are walked (a page needs few of them), a rare one is listed first (walking
   * would pass most of the catalog before a page fills).
   */
  function attributeClause(query: SearchQuery, a: { name: string; value: string }, i: number): string {
    const scope = (query.category === undefined ? allDocuments.get() : documentsIn.get(query.category))?.n ?? 0;
    const holding =
      (query.category === undefined ? attributeCount.get(a.name, a.value) : attributeCountIn.get(query.category, a.name, a.value))?.n ?? 0;
    return holding * holding > (query.limit + 1) * scope
      ? `exists (select 1 from document_attributes a where a.name = @an${i} and a.value = @av${i} and a.doc = d.rowid)`
      : `d.rowid in (select doc from document_attributes where name = @an${i} and value = @av${i})`;
  }

  function browse(query: SearchQuery) {
    const price = priceFilters(query);
    const clauses = [...price.sql];
    const params: Record<string, unknown> = { ...price.params, limit: query.limit + 1 };
    if (query.category !== undefined) {
      clauses.push('d.category = @category');
      params.category = query.category;
    }
    query.attributes.forEach((a, i) => {
      clauses.push(attributeClause(query, a, i));
      params[`an${i}`] = a.name;
      params[`av${i}`] = a.value;
    });
    if (query.after !== undefined) {
      clauses.push('d.id < @afterId');
      params.afterId = query.after.id;
    }
    const hits = statement(
      `select d.id as id, d.json as json, null as score from documents d where d.active = 1${where(clauses)} order by d.id desc limit @limit`,
    ).all(params) as SearchHit[];
    if (query.minPrice !== undefined || query.maxPrice !== undefined || query.attributes.length > 0) {
      const { facets, exhaustive } = windows(query, false);
      return { hits, ...facets, exhaustive };
    }
    // Unfiltered (or by category only): the counts kept as documents change are exact and cost nothing.
    const categories = statement('select category as key, count from category_counts where count > 0').all() as Counted[];
    const attributes = (
      query.category === undefined
        ? statement('select name, value, sum(count) as count from attribute_counts group by name, value having sum(count) > 0').all()
        : statement('select name, value, count from attribute_counts where category = ? and count > 0').all(query.category)
    ) as Pair[];
    return { hits, categories, attributes, exhaustive: true };
  }

  return (query) => {
    const { hits, categories, attributes, exhaustive } = query.terms.length > 0 ? fullText(query) : browse(query);
    return {
      hits: hits.slice(0, query.limit),
      more: hits.length > query.limit,
      facets: { category: topCounts(categories, 100), attributes: groupAttributeFacets(attributes) },
      exhaustive,
    };
  };
}
