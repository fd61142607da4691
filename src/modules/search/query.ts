/** A search as the index sees it: words to match, filters, and where the previous page ended. */
export interface SearchQuery {
  /** Words of `q`, lower-cased; the last is matched as a prefix (as-you-type). Empty: browse by filters. */
  terms: string[];
  /** The whole `q`, normalised like titles, so an exact title match ranks first. */
  phrase: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Every pair must hold (attr=color:red&attr=size:M). */
  attributes: { name: string; value: string }[];
  limit: number;
  after?: SearchCursor;
}

/** Relevance pages resume after (score, id); browse pages after the id alone (newest first). */
export type SearchCursor = { score: number; id: string } | { id: string };

export interface SearchHit {
  id: string;
  json: string;
  score: number | null;
}

export interface Facets {
  category: Record<string, number>;
  /** Values per attribute name, most frequent first (at most 20 names, 20 values each). */
  attributes: Record<string, Record<string, number>>;
}

export interface SearchResult {
  hits: SearchHit[];
  /** True when another page follows the hits. */
  more: boolean;
  facets: Facets;
  /** False when more documents matched than the window ranks and counts (see ORDERLY_SEARCH_WINDOW). */
  exhaustive: boolean;
}

const MAX_TERMS = 10;

/** Letters and digits only: nothing a user types can become query syntax in FTS5 or tsquery. */
export function termsOf(q: string | undefined): string[] {
  if (q === undefined) return [];
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TERMS);
}

export function encodeSearchCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Undefined when the text is not a cursor this endpoint made. */
export function decodeSearchCursor(text: string): SearchCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof value.id !== 'string' || value.id.length > 100) return undefined;
    if (!('score' in value)) return { id: value.id };
    return typeof value.score === 'number' && Number.isFinite(value.score) ? { score: value.score, id: value.id } : undefined;
  } catch {
    return undefined;
  }
}

/** Sorts facet counts, most frequent first, and keeps the top `limit`. */
export function topCounts(rows: { key: string; count: number }[], limit: number): Record<string, number> {
  const sorted = [...rows].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, limit);
  return Object.fromEntries(sorted.map((r) => [r.key, r.count]));
}

export function groupAttributeFacets(rows: { name: string; value: string; count: number }[]): Facets['attributes'] {
  const byName = new Map<string, { key: string; count: number }[]>();
  for (const r of rows) {
    const list = byName.get(r.name) ?? [];
    list.push({ key: r.value, count: r.count });
    byName.set(r.name, list);
  }
  const names = [...byName].sort((a, b) => b[1].reduce((s, r) => s + r.count, 0) - a[1].reduce((s, r) => s + r.count, 0)).slice(0, 20);
  return Object.fromEntries(names.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([name, values]) => [name, topCounts(values, 20)]));
}
