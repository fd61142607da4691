import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import compress from '@fastify/compress';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { strongEtag } from './caching.js';
import type { HttpApp } from './types.js';

export interface StaticSiteOptions {
  /** A Vite build: `index.html` beside `assets/` whose names carry a hash of their content. */
  dir: string;
  /** Where the app lives ('' for the root, '/admin' for the console): its assets are under `<prefix>/assets/`. */
  prefix?: string;
  /** Paths the single-page app routes itself (Fastify syntax, full paths, e.g. `/products/:id`): each answers index.html. */
  clientRoutes: string[];
  /** Generated images, served under `/images/`; a missing one answers a neutral placeholder. Only the storefront has them. */
  imagesDir?: string;
}

const IMAGE_CACHE = 'public, max-age=86400';
const SAFE_IMAGE = /^[\w-]{1,100}\.svg$/;

// Everything the page needs comes from this origin: no inline script, no CDN, no web fonts.
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

const PLACEHOLDER =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400"><rect width="400" height="400" fill="#eef0f3"/>' +
  '<path d="M120 270l60-80 45 55 30-35 45 60z" fill="#c5cad3"/><circle cx="260" cy="150" r="22" fill="#c5cad3"/></svg>';

/**
 * A single-page app (the storefront, the console), beside the API but sealed from it: helmet's headers, the CSP and compression are
 * registered in this plugin's own scope, so no /v1 response changes. Only the listed client routes fall back
 * to index.html, so an unknown /v1 path still answers the API's problem+json 404. Returns false (and serves
 * nothing) when the build is missing.
 */
export async function registerStaticSite(app: HttpApp, options: StaticSiteOptions): Promise<boolean> {
  const indexFile = path.join(options.dir, 'index.html');
  if (!existsSync(indexFile)) return false;
  const prefix = options.prefix ?? '';
  const imagesDir = options.imagesDir;
  const html = readFileSync(indexFile, 'utf8');
  const etag = strongEtag(html);

  await app.register(async (site) => {
    await site.register(helmet, { contentSecurityPolicy: CSP, crossOriginEmbedderPolicy: false });
    await site.register(compress, { encodings: ['br', 'gzip'], threshold: 512 });
    await site.register(fastifyStatic, {
      root: path.join(options.dir, 'assets'),
      prefix: `${prefix}/assets/`,
      // Each app registers its own copy in its own scope; only the first may decorate the reply.
      decorateReply: prefix === '',
      index: false,
      immutable: true,
      maxAge: '365d',
      // The hashed name is the version: no revalidation, so no ETag or Last-Modified is needed.
      etag: false,
      lastModified: false,
    });

    // HTML is always revalidated, so a deploy is seen at once; the ETag makes that a 304.
    const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('cache-control', 'no-cache').header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type('text/html; charset=utf-8').send(html);
    };
    for (const route of options.clientRoutes) site.get(route, { schema: { hide: true } }, sendIndex);

    if (imagesDir === undefined) return;
    site.get<{ Params: { file: string } }>('/images/products/:file', { schema: { hide: true } }, async (request, reply) => {
      const { file } = request.params;
      const body = SAFE_IMAGE.test(file)
        ? await readFile(path.join(imagesDir, 'products', file), 'utf8').catch(() => PLACEHOLDER)
        : PLACEHOLDER;
      return reply.type('image/svg+xml').header('cache-control', IMAGE_CACHE).send(body);
    });
  });
  return true;
}
