import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The file a worker thread runs for module `name`, beside the module at `moduleUrl`. Threads load
 * JavaScript only: in the built app that is the sibling file; when the app runs from its TypeScript
 * sources (the test suite, which builds first), it is the same module compiled under dist/.
 */
export function threadEntry(moduleUrl: string, name: string): URL {
  const sibling = new URL(`./${name}.js`, moduleUrl);
  if (!moduleUrl.endsWith('.ts')) return sibling;
  const at = sibling.pathname.lastIndexOf('/src/');
  const built = new URL(`file://${sibling.pathname.slice(0, at)}/dist${sibling.pathname.slice(at)}`);
  if (!existsSync(built)) throw new Error(`${fileURLToPath(built)} is missing: run npm run build`);
  return built;
}
