import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { root } from '../../harness/processes.js';
import { PUBLIC_EVENTS } from '../../src/module-wiring.js';

describe('the webhook event catalog', () => {
  it('is the one the README shows, row for row, as the contracts declare it', () => {
    const readme = fs.readFileSync(`${root}/README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('## Webhook event types'), readme.indexOf('## Settings'));
    const rows = section.split('\n').filter((l) => /^\| `[a-z]+\.[a-z_]+` \|/.test(l));
    expect(rows).toEqual(
      PUBLIC_EVENTS.map(
        (c) =>
          `| \`${c.type}\` | ${c.version} | ${c.description} | ${Object.keys((c.schema as { properties: object }).properties)
            .map((k) => `\`${k}\``)
            .join(', ')} |`,
      ),
    );
  });
});
