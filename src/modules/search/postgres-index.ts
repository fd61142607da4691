import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { toDocument, type IndexedProduct } from './document.js';
import { groupAttributeFacets, topCounts, type SearchHit, type SearchQuery } from './query.js';
import { EXACT_TITLE_BONUS, type SearchIndex } from './search-index.js';

/** tsquery text: every word (stemmed, English), the last as a prefix; words are letters and digits only. */
function tsquery(terms: string[]): string {
  return terms.map((t, i) => (i === terms.length - 1 ? `${t}:*` : t)).join(' & ');
}

const DOCUMENT = sql`setweight(to_tsvector('english', t.title), 'A') || setweight(to_tsvector('english', t.category), 'B')
  || setweight(to_tsvector('english', t.attributes_text), 'C') || setweight(to_tsvector('english', t.description), 'D')`;

function and(clauses: RawBuilder<unknown>[]): RawBuilder<unknown> {
  return clauses.length === 0 ? sql`` : sql` and ${sql.join(clauses, sql` and `)}`;
}

/** The index on PostgreSQL: a tsvector per product (title weighted A … description D) under a GIN index, ranked by ts_rank. */
export function postgresSearchIndex(database: Database, window: number): SearchIndex {
  const db = database.db as Kysely<unknown>;

  async function searchOn(db: Kysely<unknown>, query: SearchQuery): ReturnType<SearchIndex['search']> {
    const all = filters(query, { category: true });
    const others = filters(query, { category: false });
    const text = query.terms.length > 0;
    const tsq = sql`to_tsquery('english', ${tsquery(query.terms)})`;
    const matching = text ? sql` and d.document @@ ${tsq}` : sql``;
    // Like the embedded index: ranking and facets cover the newest `window` matches (see sqlite-index).
    const windowOf = (clauses: RawBuilder<unknown>[]) =>
      sql`(select d.id, d.category, d.json, d.title_key, d.document from search_documents d where d.active${matching}${and(clauses)} order by d.id desc limit ${window})`;
    let hits: SearchHit[];
    if (text) {
      const after =
        query.after !== undefined && 'score' in query.after
          ? sql` where s.score > ${query.after.score} or (s.score = ${query.after.score} and s.id > ${query.after.id})`
          : sql``;
      hits = (
        await sql<SearchHit>`select s.id, s.json, s.score from (
          select w.id, w.json, (-ts_rank(w.document, ${tsq}) - case when w.title_key = ${query.phrase} then ${EXACT_TITLE_BONUS} else 0 end)::float8 as score
          from ${windowOf(all)} w) s${after}
        order by s.score, s.id limit ${query.limit + 1}`.execute(db)
      ).rows;
    } else {
      const after = query.after === undefined ? [] : [sql`d.id < ${query.after.id}`];
      hits = (
        await sql<SearchHit>`select d.id, d.json, null as score from search_documents d where d.active${and([...all, ...after])} order by d.id desc limit ${query.limit + 1}`.execute(
          db,
        )
      ).rows;
    }
    const categories = (
      await sql<{
        key: string;
        count: number;
      }>`select w.category as key, count(*)::int as count from ${windowOf(others)} w group by w.category`.execute(db)
    ).rows;
    const attributes = (
      await sql<{ name: string; value: string; count: number }>`
      select a.name, a.value, count(*)::int as count from search_document_attributes a join ${windowOf(all)} w on w.id = a.doc_id group by a.name, a.value`.execute(
        db,
      )
    ).rows;
    const inWindow = (await sql<{ n: number }>`select count(*)::int as n from ${windowOf(all)} w`.execute(db)).rows[0]!.n;
    return {
      hits: hits.slice(0, query.limit),
      more: hits.length > query.limit,
      facets: { category: topCounts(categories, 100), attributes: groupAttributeFacets(attributes) },
      exhaustive: inWindow < window && categories.reduce((sum, c) => sum + c.count, 0) < window,
    };
  }

  function filters(query: SearchQuery, options: { category: boolean }): RawBuilder<unknown>[] {
    const clauses: RawBuilder<unknown>[] = [];
    if (options.category && query.category !== undefined) clauses.push(sql`d.category = ${query.category}`);
    if (query.minPrice !== undefined) clauses.push(sql`d.price_min >= ${query.minPrice}`);
    if (query.maxPrice !== undefined) clauses.push(sql`d.price_min <= ${query.maxPrice}`);
    for (const a of query.attributes) {
      clauses.push(sql`d.id in (select doc_id from search_document_attributes where name = ${a.name} and value = ${a.value})`);
    }
    return clauses;
  }

  return {
    async upsert(products, indexedAt) {
      if (products.length === 0) return;
      const docs = products.map(toDocument);
      await db.transaction().execute(async (tx) => {
        await sql`
          insert into search_documents (id, active, title_key, category, price_min, price_max, currency, updated_at, indexed_at, json, document)
          select t.id, t.active, t.title_key, t.category, t.price_min, t.price_max, t.currency, t.updated_at, ${indexedAt}, t.json, ${DOCUMENT}
          from unnest(${docs.map((d) => d.id)}::text[], ${docs.map((d) => d.active)}::boolean[], ${docs.map((d) => d.titleKey)}::text[],
            ${docs.map((d) => d.category)}::text[], ${docs.map((d) => d.priceMin)}::bigint[], ${docs.map((d) => d.priceMax)}::bigint[],
            ${docs.map((d) => d.currency)}::text[], ${docs.map((d) => d.updatedAt)}::text[], ${docs.map((d) => d.json)}::text[],
            ${docs.map((d) => d.title)}::text[], ${docs.map((d) => d.description)}::text[], ${docs.map((d) => d.attributesText)}::text[])
            as t(id, active, title_key, category, price_min, price_max, currency, updated_at, json, title, description, attributes_text)
          on conflict (id) do update set
            active = case when excluded.updated_at >= search_documents.updated_at then excluded.active else search_documents.active end,
            title_key = case when excluded.updated_at >= search_documents.updated_at then excluded.title_key else search_documents.title_key end,
            category = case when excluded.updated_at >= search_documents.updated_at then excluded.category else search_documents.category end,
            price_min = case when excluded.updated_at >= search_documents.updated_at then excluded.price_min else search_documents.price_min end,
            price_max = case when excluded.updated_at >= search_documents.updated_at then excluded.price_max else search_documents.price_max end,
            currency = case when excluded.updated_at >= search_documents.updated_at then excluded.currency else search_documents.currency end,
            json = case when excluded.updated_at >= search_documents.updated_at then excluded.json else search_documents.json end,
            document = case when excluded.updated_at >= search_documents.updated_at then excluded.document else search_documents.document end,
            updated_at = greatest(excluded.updated_at, search_documents.updated_at),
            indexed_at = excluded.indexed_at`.execute(tx);
        const ids = docs.map((d) => d.id);
        // Attributes follow whichever version won above: the stored one.
        await sql`delete from search_document_attributes where doc_id = any(${ids}::text[])`.execute(tx);
        const pairs = await sql<{
          id: string;
          json: string;
          active: boolean;
        }>`select id, json, active from search_documents where id = any(${ids}::text[])`.execute(tx);
        const winners = pairs.rows.filter((r) => r.active).map((r) => toDocument(JSON.parse(r.json) as IndexedProduct));
        const names = winners.flatMap((d) => d.attributes.map((a) => a.name));
        const values = winners.flatMap((d) => d.attributes.map((a) => a.value));
        const docIds = winners.flatMap((d) => d.attributes.map(() => d.id));
        if (names.length > 0) {
          await sql`insert into search_document_attributes (name, value, doc_id) select * from unnest(${names}::text[], ${values}::text[], ${docIds}::text[])`.execute(
            tx,
          );
        }
      });
    },

    // Search is a read model, a moment behind anyway: the replica's, when the edge allows it.
    search: (query) => database.read((executor) => searchOn(executor as Kysely<unknown>, query)),

    async removeIndexedBefore(indexedAt) {
      const result = await sql`delete from search_documents where indexed_at < ${indexedAt}`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },

    async count() {
      return (await sql<{ n: number }>`select count(*)::int as n from search_documents`.execute(db)).rows[0]!.n;
    },

    close: async () => undefined,
  };
}
