import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { toDocument, type SearchDocument } from './document.js';
import { groupAttributeFacets, topCounts, type SearchHit, type SearchQuery } from './query.js';
import { EXACT_TITLE_BONUS, type SearchIndex } from './search-index.js';

const SCHEMA = `
create table if not exists documents (
  rowid integer primary key,
  id text not null unique,
  active integer not null,
  title_key text not null,
  category text not null,
  price_min integer not null,
  price_max integer not null,
  currency text not null,
  updated_at text not null,
  indexed_at text not null,
  json text not null
);
create index if not exists documents_active_id on documents(active, id);
create index if not exists documents_active_category_id on documents(active, category, id);
create index if not exists documents_indexed_at on documents(indexed_at);
create table if not exists document_attributes (name text not null, value text not null, doc integer not null, primary key (name, value, doc)) without rowid;
create index if not exists document_attributes_doc on document_attributes(doc);
-- Facet counts of active documents, kept as documents change, so browsing a million products
-- never counts them one by one.
create table if not exists category_counts (category text primary key, count integer not null) without rowid;
create table if not exists attribute_counts (category text not null, name text not null, value text not null, count integer not null, primary key (category, name, value)) without rowid;
-- Contentless: the text is only matched and ranked; the product JSON lives in documents.
create virtual table if not exists documents_fts using fts5(
  title, description, category, attributes,
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3', content = '', contentless_delete = 1
);
`;

interface Existing {
  rowid: number;
  active: number;
  category: string;
  updated_at: string;
}

/** FTS5 match expression: every word must occur (stemmed); the last may be the start of a word. */
function matchExpression(terms: string[]): string {
  return terms.map((t, i) => (i === terms.length - 1 ? `"${t}"*` : `"${t}"`)).join(' ');
}

/** The embedded search index: its own SQLite file, ranked by BM25 (title weighs most). */
export function openSqliteSearchIndex(file: string): SearchIndex {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  // Weights per column: title, description, category, attributes.
  db.prepare(`insert into documents_fts(documents_fts, rank) values ('rank', 'bm25(10.0, 1.0, 4.0, 2.0)')`).run();

  const existing = db.prepare<[string], Existing>('select rowid, active, category, updated_at from documents where id = ?');
  const touch = db.prepare('update documents set indexed_at = ? where rowid = ?');
  const insertDoc = db.prepare(`insert into documents (id, active, title_key, category, price_min, price_max, currency, updated_at, indexed_at, json)
    values (@id, @active, @titleKey, @category, @priceMin, @priceMax, @currency, @updatedAt, @indexedAt, @json)`);
  const updateDoc = db.prepare(`update documents set active = @active, title_key = @titleKey, category = @category, price_min = @priceMin,
    price_max = @priceMax, currency = @currency, updated_at = @updatedAt, indexed_at = @indexedAt, json = @json where rowid = @rowid`);
  const insertText = db.prepare('insert into documents_fts (rowid, title, description, category, attributes) values (?, ?, ?, ?, ?)');
  const deleteText = db.prepare('delete from documents_fts where rowid = ?');
  const attributesOf = db.prepare<[number], { name: string; value: string }>('select name, value from document_attributes where doc = ?');
  const insertAttribute = db.prepare('insert into document_attributes (name, value, doc) values (?, ?, ?)');
  const deleteAttributes = db.prepare('delete from document_attributes where doc = ?');
  const countCategory = db.prepare(`insert into category_counts (category, count) values (?, ?)
    on conflict (category) do update set count = count + excluded.count`);
  const countAttribute = db.prepare(`insert into attribute_counts (category, name, value, count) values (?, ?, ?, ?)
    on conflict (category, name, value) do update set count = count + excluded.count`);

  function recount(category: string, attributes: { name: string; value: string }[], delta: 1 | -1): void {
    countCategory.run(category, delta);
    for (const a of attributes) countAttribute.run(category, a.name, a.value, delta);
  }

  function leaveResults(found: Existing): void {
    if (found.active !== 1) return;
    deleteText.run(found.rowid);
    recount(found.category, attributesOf.all(found.rowid), -1);
    deleteAttributes.run(found.rowid);
  }

  function enterResults(rowid: number, doc: SearchDocument): void {
    if (!doc.active) return;
    insertText.run(rowid, doc.title, doc.description, doc.category, doc.attributesText);
    for (const a of doc.attributes) insertAttribute.run(a.name, a.value, rowid);
    recount(doc.category, doc.attributes, 1);
  }

  const upsertAll = db.transaction((docs: SearchDocument[], indexedAt: string) => {
    for (const doc of docs) {
      const found = existing.get(doc.id);
      const row = { ...doc, active: doc.active ? 1 : 0, indexedAt };
      if (!found) {
        enterResults(Number(insertDoc.run(row).lastInsertRowid), doc);
      } else if (found.updated_at > doc.updatedAt) {
        touch.run(indexedAt, found.rowid);
      } else {
        leaveResults(found);
        updateDoc.run({ ...row, rowid: found.rowid });
        enterResults(found.rowid, doc);
      }
    }
  });

  const removeBefore = db.transaction((indexedAt: string) => {
    const stale = db.prepare<[string], Existing>('select rowid, active, category, updated_at from documents where indexed_at < ?').all(indexedAt);
    for (const found of stale) leaveResults(found);
    return db.prepare('delete from documents where indexed_at < ?').run(indexedAt).changes;
  });

  /** Filters shared by hits and facets; `d` is documents. */
  function filters(query: SearchQuery, options: { category: boolean }): { sql: string[]; params: Record<string, unknown> } {
    const sql: string[] = [];
    const params: Record<string, unknown> = {};
    if (options.category && query.category !== undefined) {
      sql.push('d.category = @category');
      params.category = query.category;
    }
    if (query.minPrice !== undefined) {
      sql.push('d.price_min >= @minPrice');
      params.minPrice = query.minPrice;
    }
    if (query.maxPrice !== undefined) {
      sql.push('d.price_min <= @maxPrice');
      params.maxPrice = query.maxPrice;
    }
    query.attributes.forEach((a, i) => {
      sql.push(`d.rowid in (select doc from document_attributes where name = @an${i} and value = @av${i})`);
      params[`an${i}`] = a.name;
      params[`av${i}`] = a.value;
    });
    return { sql, params };
  }

  const where = (clauses: string[]) => (clauses.length === 0 ? '' : ` and ${clauses.join(' and ')}`);

  function fullText(query: SearchQuery) {
    const match = matchExpression(query.terms);
    const base = (clauses: string[]) => `from documents_fts f join documents d on d.rowid = f.rowid where documents_fts match @match${where(clauses)}`;
    const all = filters(query, { category: true });
    const params = { ...all.params, match, phrase: query.phrase, bonus: EXACT_TITLE_BONUS, limit: query.limit + 1 };
    let page = `select id, json, score from (select d.id as id, d.json as json,
      f.rank - (case when d.title_key = @phrase then @bonus else 0 end) as score ${base(all.sql)})`;
    const after = query.after;
    if (after !== undefined && 'score' in after) {
      page += ' where score > @afterScore or (score = @afterScore and id > @afterId)';
      Object.assign(params, { afterScore: after.score, afterId: after.id });
    }
    const hits = db.prepare(`${page} order by score, id limit @limit`).all(params) as SearchHit[];
    const others = filters(query, { category: false });
    const categories = db.prepare(`select d.category as key, count(*) as count ${base(others.sql)} group by d.category`)
      .all({ ...others.params, match }) as { key: string; count: number }[];
    const attributes = db.prepare(`select a.name as name, a.value as value, count(*) as count ${base(all.sql).replace('where', 'join document_attributes a on a.doc = d.rowid where')} group by a.name, a.value`)
      .all({ ...all.params, match }) as { name: string; value: string; count: number }[];
    return { hits, categories, attributes };
  }

  function browse(query: SearchQuery) {
    const all = filters(query, { category: true });
    const params: Record<string, unknown> = { ...all.params, limit: query.limit + 1 };
    const clauses = [...all.sql];
    if (query.after !== undefined) {
      clauses.push('d.id < @afterId');
      params.afterId = query.after.id;
    }
    const hits = db.prepare(`select d.id as id, d.json as json, null as score from documents d where d.active = 1${where(clauses)} order by d.id desc limit @limit`)
      .all(params) as SearchHit[];
    const filtered = query.minPrice !== undefined || query.maxPrice !== undefined || query.attributes.length > 0;
    if (filtered) {
      const others = filters(query, { category: false });
      const categories = db.prepare(`select d.category as key, count(*) as count from documents d where d.active = 1${where(others.sql)} group by d.category`)
        .all(others.params) as { key: string; count: number }[];
      const attributes = db.prepare(`select a.name as name, a.value as value, count(*) as count from documents d join document_attributes a on a.doc = d.rowid
        where d.active = 1${where(all.sql)} group by a.name, a.value`).all(all.params) as { name: string; value: string; count: number }[];
      return { hits, categories, attributes };
    }
    const categories = db.prepare('select category as key, count from category_counts where count > 0').all() as { key: string; count: number }[];
    const attributes = (query.category === undefined
      ? db.prepare('select name, value, sum(count) as count from attribute_counts group by name, value having sum(count) > 0').all()
      : db.prepare('select name, value, count from attribute_counts where category = ? and count > 0').all(query.category)) as { name: string; value: string; count: number }[];
    return { hits, categories, attributes };
  }

  return {
    async upsert(products, indexedAt) {
      upsertAll(products.map(toDocument), indexedAt);
    },
    async search(query) {
      const { hits, categories, attributes } = query.terms.length > 0 ? fullText(query) : browse(query);
      return {
        hits: hits.slice(0, query.limit),
        more: hits.length > query.limit,
        facets: { category: topCounts(categories, 100), attributes: groupAttributeFacets(attributes) },
      };
    },
    async removeIndexedBefore(indexedAt) {
      return removeBefore(indexedAt);
    },
    async count() {
      return (db.prepare('select count(*) as n from documents').get() as { n: number }).n;
    },
    async close() {
      db.close();
    },
  };
}
