import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../../../platform/db/migrations.js';

/** On PostgreSQL the index lives beside the catalog (at scale: on a replica); embedded, it has its own SQLite file. */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql`create table search_documents (
    id text primary key,
    active boolean not null,
    title_key text not null,
    category text not null,
    price_min bigint not null,
    price_max bigint not null,
    currency text not null,
    updated_at text not null,
    indexed_at text not null,
    json text not null,
    document tsvector not null
  )`.execute(db);
  await sql`create index search_documents_document on search_documents using gin (document)`.execute(db);
  await sql`create index search_documents_active_id on search_documents (active, id)`.execute(db);
  await sql`create index search_documents_active_category_id on search_documents (active, category, id)`.execute(db);
  await sql`create index search_documents_indexed_at on search_documents (indexed_at)`.execute(db);
  await sql`create table search_document_attributes (
    name text not null, value text not null, doc_id text not null references search_documents (id) on delete cascade,
    primary key (name, value, doc_id)
  )`.execute(db);
  await sql`create index search_document_attributes_doc on search_document_attributes (doc_id)`.execute(db);
}
