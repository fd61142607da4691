#!/usr/bin/env node
// `npm start` runs this: builds each web app (web/storefront → dist/web/storefront, web/console →
// dist/web/console) when its build is missing or older than any of its sources or of web/shared, which both
// import, so a first start needs no separate step and later starts no wait. `--force` builds both regardless.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APPS = ['storefront', 'console'];

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : statSync(file).mtimeMs);
  }
  return latest;
}

const force = process.argv.includes('--force');
const shared = newest(path.join(root, 'web', 'shared'));
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
for (const app of APPS) {
  const source = path.join(root, 'web', app);
  const built = path.join(root, 'dist', 'web', app, 'index.html');
  if (!force && existsSync(built) && statSync(built).mtimeMs >= Math.max(newest(source), shared)) continue;
  const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(source, 'vite.config.ts'), '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(`the ${app} did not build`);
    process.exit(result.status ?? 1);
  }
}
