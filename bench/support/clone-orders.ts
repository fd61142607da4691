import SqliteDatabase from 'better-sqlite3';
import { newId } from '../../src/platform/db/ids.js';

// Makes a big order history quickly for bench:data-safety: copies of orders placed through the API, with
// their lines, timeline, saga, payment and attempts, shipment and tracking, each under new ids, inserted
// straight into the (stopped) embedded database. Same rows, same sizes: what backup and archive costs
// depend on. They were never charged at the sandbox, so `orderly verify` is not run on the result.

type Row = Record<string, unknown>;

export function cloneOrders(file: string, total: number): number {
  const db = new SqliteDatabase(file);
  try {
    db.pragma('journal_mode = WAL');
    const templates = db.prepare(`select * from orders where status in ('delivered', 'cancelled')`).all() as Row[];
    if (templates.length === 0) throw new Error('no delivered or cancelled orders to copy');
    const by = (sql: string) => {
      const rows = db.prepare(sql).all() as Row[];
      const map = new Map<unknown, Row[]>();
      for (const r of rows) map.set(r.order_id ?? r.shipment_id, [...(map.get(r.order_id ?? r.shipment_id) ?? []), r]);
      return map;
    };
    const lines = by('select * from order_lines');
    const timeline = by('select * from order_timeline');
    const sagas = by('select * from order_sagas');
    const payments = by('select * from payments');
    const attempts = by('select * from payment_attempts');
    const shipments = by('select * from shipments');
    const events = by('select * from shipment_events');
    const existing = (db.prepare('select count(*) as n from orders').get() as { n: number }).n;
    const statements = new Map<string, SqliteDatabase.Statement>();
    const insert = (table: string, row: Row) => {
      const columns = Object.keys(row);
      const sql = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      statement.run(...Object.values(row));
    };
    let made = 0;
    const batch = db.transaction((count: number) => {
      for (let i = 0; i < count; i += 1) {
        const t = templates[(made + i) % templates.length]!;
        const id = newId('ord');
        insert('orders', { ...t, id });
        for (const l of lines.get(t.id) ?? []) insert('order_lines', { ...l, order_id: id });
        for (const e of timeline.get(t.id) ?? []) insert('order_timeline', { ...e, id: newId('tml'), order_id: id });
        for (const s of sagas.get(t.id) ?? []) insert('order_sagas', { ...s, order_id: id });
        for (const p of payments.get(t.id) ?? []) insert('payments', { ...p, id: newId('pay'), order_id: id });
        for (const a of attempts.get(t.id) ?? []) insert('payment_attempts', { ...a, id: newId('pat'), order_id: id });
        for (const s of shipments.get(t.id) ?? []) {
          const shipmentId = newId('shp');
          insert('shipments', { ...s, id: shipmentId, order_id: id, tracking_number: `CLONE${shipmentId.slice(4)}` });
          for (const e of events.get(s.id) ?? []) insert('shipment_events', { ...e, id: newId('sev'), shipment_id: shipmentId });
        }
      }
    });
    while (existing + made < total) {
      const count = Math.min(5_000, total - existing - made);
      batch(count);
      made += count;
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return made;
  } finally {
    db.close();
  }
}
