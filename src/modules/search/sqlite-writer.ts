import type SqliteDatabase from 'better-sqlite3';
import type { SearchDocument } from './document.js';
import { attributeTag, categoryTag, type Existing } from './sqlite-schema.js';

/**
 * The writing half of the embedded index: documents in, out and changed, with the full-text rows, the
 * attribute rows and the facet counts kept in step, a batch per transaction. An older version of a
 * document never overwrites a newer one.
 */
export function createSqliteSearchWriter(db: SqliteDatabase.Database) {
  const existing = db.prepare<[string], Existing>('select rowid, active, category, updated_at from documents where id = ?');
  const touch = db.prepare('update documents set indexed_at = ? where rowid = ?');
  const insertDoc =
    db.prepare(`insert into documents (id, active, title_key, category, price_min, price_max, currency, updated_at, indexed_at, pairs, json)
    values (@id, @active, @titleKey, @category, @priceMin, @priceMax, @currency, @updatedAt, @indexedAt, @pairs, @json)`);
  const updateDoc = db.prepare(`update documents set active = @active, title_key = @titleKey, category = @category, price_min = @priceMin,
    price_max = @priceMax, currency = @currency, updated_at = @updatedAt, indexed_at = @indexedAt, pairs = @pairs, json = @json where rowid = @rowid`);
  const insertText = db.prepare(
    'insert into documents_fts (rowid, title, description, category, attributes, tags) values (?, ?, ?, ?, ?, ?)',
  );
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
    insertText.run(
      rowid,
      doc.title,
      doc.description,
      doc.category,
      doc.attributesText,
      [categoryTag(doc.category), ...doc.attributes.map((a) => attributeTag(a.name, a.value))].join(' '),
    );
    for (const a of doc.attributes) insertAttribute.run(a.name, a.value, rowid);
    recount(doc.category, doc.attributes, 1);
  }

  const upsertAll = db.transaction((docs: SearchDocument[], indexedAt: string) => {
    for (const doc of docs) {
      const found = existing.get(doc.id);
      const row = { ...doc, active: doc.active ? 1 : 0, indexedAt, pairs: JSON.stringify(doc.attributes.map((a) => [a.name, a.value])) };
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
    const stale = db
      .prepare<[string], Existing>('select rowid, active, category, updated_at from documents where indexed_at < ?')
      .all(indexedAt);
    for (const found of stale) leaveResults(found);
    return db.prepare('delete from documents where indexed_at < ?').run(indexedAt).changes;
  });

  return {
    upsert: (docs: SearchDocument[], indexedAt: string) => upsertAll(docs, indexedAt),
    removeIndexedBefore: (indexedAt: string): number => removeBefore(indexedAt),
    count: () => (db.prepare('select count(*) as n from documents').get() as { n: number }).n,
  };
}
