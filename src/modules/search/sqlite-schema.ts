import { createHash } from 'node:crypto';

export const SCHEMA = `
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
  -- [[name, value], …] of an active document, so one pass over the matches also counts the facets.
  pairs text not null,
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
  title, description, category, attributes, tags,
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3', content = '', contentless_delete = 1
);
`;

export interface Existing {
  rowid: number;
  active: number;
  category: string;
  updated_at: string;
}

/**
 * Category and attribute filters also live in the full-text index, as opaque tokens in a column that
 * does not rank, so FTS5 intersects them with the words instead of Orderly checking match after match.
 * The exact filters still run on what comes out (a token could in theory collide).
 */
const tag = (text: string) => `t${createHash('sha1').update(text).digest('hex').slice(0, 16)}0`;
export const categoryTag = (category: string) => tag(`c\u0000${category}`);
export const attributeTag = (name: string, value: string) => tag(`a\u0000${name}\u0000${value}`);
