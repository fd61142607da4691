import type { Executor } from '../db/database.js';

/**
 * What a module keeps of an order that goes to cold storage: its records, stored in the order's archive
 * record under `name`, and their deletion from its tables in the archiver's transaction.
 */
export interface OrderArchivePart {
  name: string;
  records(orderIds: string[]): Promise<Map<string, unknown>>;
  forget(tx: Executor, orderIds: string[]): Promise<void>;
}
