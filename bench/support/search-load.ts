// Searchers for bench:read, in a process of their own: distinct searches from `connections` clients for
// `seconds` from the line `searching` on, then the figures as JSON in the file `figures`.
import fs from 'node:fs';
import { distinctSearches } from './distinct-searches.js';
import { load } from './support.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const { base, dataDir, connections, seconds, skip, figures } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
  base: string;
  dataDir: string;
  connections: number;
  seconds: number;
  skip: number;
  figures: string;
};
const paths = distinctSearches(dataDir, skip);
process.stdout.write('searching\n');
fs.writeFileSync(figures, JSON.stringify(await load(base, { connections, seconds, paths })));
