import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { newId, nowIso } from '../../platform/db/ids.js';
import type { ChargeRequest, ChargeResult, DeclineCode, ProviderLedgerEntry, RefundResult } from './provider.js';

/** Test card tokens and what charging each one does, shared by the embedded sandbox and `orderly payment-sim`. */
export type TokenOutcome = DeclineCode | 'succeed' | 'unavailable' | 'slow';

const TOKEN_OUTCOMES: Record<string, TokenOutcome> = {
  tok_visa: 'succeed',
  // Succeeds after SLOW_CHARGE_MS: long enough for a short stock hold to expire meanwhile.
  tok_visa_slow: 'slow',
  tok_mastercard: 'succeed',
  tok_declined: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
  // The provider answers nothing useful for this token, every time: the saga's payment_failed path.
  tok_provider_error: 'unavailable',
};

export const SLOW_CHARGE_MS = 1500;

export function tokenOutcome(token: string): TokenOutcome {
  return TOKEN_OUTCOMES[token] ?? 'invalid_token';
}

interface ChargeRow {
  id: string;
  idempotency_key: string;
  reference: string;
  amount: number;
  currency: string;
  token: string;
  status: 'succeeded' | 'declined';
  decline_code: DeclineCode | null;
  created_at: string;
}

function resultOf(row: ChargeRow): ChargeResult {
  return row.status === 'succeeded'
    ? { status: 'succeeded', chargeId: row.id, amount: row.amount, currency: row.currency }
    : { status: 'declined', chargeId: row.id, code: row.decline_code ?? 'card_declined' };
}

export class RefundRefused extends Error {
  override name = 'RefundRefused';
}

/** A card processor's durable books: one charge per idempotency key, refunds never above the charge. */
export interface ProviderLedger {
  /** Records the charge's outcome for the token, or returns the one already recorded under its key. */
  charge(request: ChargeRequest, outcome: 'succeeded' | DeclineCode): ChargeResult;
  findCharge(idempotencyKey: string): ChargeResult | null;
  /** Throws RefundRefused for an unknown or failed charge, or one that would be over-refunded. */
  refund(idempotencyKey: string, chargeId: string, amount: number): RefundResult;
  entries(): ProviderLedgerEntry[];
  close(): void;
}

/**
 * The ledger lives in its own SQLite file, outside Orderly's database and transactions, exactly as a real
 * provider's books would: a charge it records is real even if Orderly crashes before recording it.
 */
export function openProviderLedger(file: string): ProviderLedger {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new SqliteDatabase(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    create table if not exists charges (
      id text primary key, idempotency_key text not null unique, reference text not null, amount integer not null,
      currency text not null, token text not null, status text not null, decline_code text, created_at text not null);
    create table if not exists refunds (
      id text primary key, idempotency_key text not null unique, charge_id text not null references charges(id),
      amount integer not null, created_at text not null);
  `);
  const byKey = db.prepare<[string], ChargeRow>('select * from charges where idempotency_key = ?');
  const byId = db.prepare<[string], ChargeRow>('select * from charges where id = ?');
  const insertCharge = db.prepare(
    'insert into charges values (@id, @idempotency_key, @reference, @amount, @currency, @token, @status, @decline_code, @created_at) on conflict(idempotency_key) do nothing',
  );
  const refundByKey = db.prepare<[string], { id: string; charge_id: string; amount: number }>(
    'select id, charge_id, amount from refunds where idempotency_key = ?',
  );
  const refundedSum = db.prepare<[string], { total: number }>('select coalesce(sum(amount), 0) as total from refunds where charge_id = ?');
  const insertRefund = db.prepare('insert into refunds values (?, ?, ?, ?, ?) on conflict(idempotency_key) do nothing');

  // better-sqlite3 runs each call to completion, and the unique keys settle races between processes.
  const refundTx = db.transaction((key: string, chargeId: string, amount: number) => {
    const existing = refundByKey.get(key);
    if (existing) return existing;
    const charge = byId.get(chargeId);
    if (charge?.status !== 'succeeded') throw new RefundRefused(`charge ${chargeId} cannot be refunded`);
    if (refundedSum.get(chargeId)!.total + amount > charge.amount) throw new RefundRefused(`refund would exceed charge ${chargeId}`);
    insertRefund.run(newId('re'), key, chargeId, amount, nowIso());
    return refundByKey.get(key)!;
  });

  return {
    charge(request, outcome) {
      const succeeded = outcome === 'succeeded';
      insertCharge.run({
        id: newId('ch'),
        idempotency_key: request.idempotencyKey,
        reference: request.reference,
        amount: request.amount,
        currency: request.currency,
        token: request.token,
        status: succeeded ? 'succeeded' : 'declined',
        decline_code: succeeded ? null : outcome,
        created_at: nowIso(),
      });
      return resultOf(byKey.get(request.idempotencyKey)!);
    },
    findCharge(key) {
      const row = byKey.get(key);
      return row ? resultOf(row) : null;
    },
    refund(key, chargeId, amount) {
      const row = refundTx(key, chargeId, amount);
      return { refundId: row.id, chargeId: row.charge_id, amount: row.amount };
    },
    entries() {
      const charges = db.prepare<[], ChargeRow>('select * from charges').all();
      const refunds = db
        .prepare<[], { id: string; charge_id: string; amount: number; reference: string; currency: string }>(
          'select r.id, r.charge_id, r.amount, c.reference, c.currency from refunds r join charges c on c.id = r.charge_id',
        )
        .all();
      return [
        ...charges.map(
          (c): ProviderLedgerEntry => ({
            kind: 'charge',
            id: c.id,
            chargeId: c.id,
            reference: c.reference,
            status: c.status,
            amount: c.amount,
            currency: c.currency,
          }),
        ),
        ...refunds.map(
          (r): ProviderLedgerEntry => ({
            kind: 'refund',
            id: r.id,
            chargeId: r.charge_id,
            reference: r.reference,
            status: 'succeeded',
            amount: r.amount,
            currency: r.currency,
          }),
        ),
      ];
    },
    close() {
      db.close();
    },
  };
}
