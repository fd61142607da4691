import { describe, expect, it } from 'vitest';
import { firstIdAt, newId } from '../../src/platform/db/ids.js';

describe('ids', () => {
  it('sorts every id made before a moment below firstIdAt of it, and every one made from then on above', async () => {
    const before = newId('whd');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const moment = new Date();
    const boundary = firstIdAt('whd', moment);
    const after = newId('whd');
    expect(before < boundary).toBe(true);
    expect(after >= boundary).toBe(true);
    expect(boundary).toMatch(/^whd_[0-9a-f]{32}$/);
    expect(firstIdAt('whd', new Date(moment.getTime() + 1)) > boundary).toBe(true);
  });
});
