/** The outside world's payment API, as Orderly needs it. Every call carries an idempotency key. */
export interface PaymentProvider {
  readonly name: string;
  /** A repeat with the same key returns the first outcome and never charges again. Throws ProviderUnavailable when the outcome is unknown. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds a successful charge in full; idempotent per key. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The charge made under this key, if any: asked after a timeout before charging again. */
  findCharge(idempotencyKey: string): Promise<ChargeResult | null>;
  /** Every charge and refund the provider holds, for `orderly verify`. */
  ledger(): Promise<ProviderLedgerEntry[]>;
  close(): Promise<void>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amount: number;
  currency: string;
  token: string;
  reference: string;
  /** An earlier call for this key may have reached the provider: look the charge up before charging. */
  lookupFirst?: boolean;
}

export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'invalid_token';

export type ChargeResult =
  | { status: 'succeeded'; chargeId: string; amount: number; currency: string }
  | { status: 'declined'; chargeId: string; code: DeclineCode };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amount: number;
}

export interface RefundResult {
  refundId: string;
  chargeId: string;
  amount: number;
}

export interface ProviderLedgerEntry {
  kind: 'charge' | 'refund';
  id: string;
  chargeId: string;
  reference: string;
  status: 'succeeded' | 'declined';
  amount: number;
  currency: string;
}

/**
 * The provider did not give an answer we can trust: retry later (after asking what happened).
 * `outage` says the provider could not be reached at all (down, hanging, breaker open, bulkhead full),
 * rather than answering this one call with an error: an outage parks the work instead of spending retries.
 */
export class ProviderUnavailable extends Error {
  override name = 'ProviderUnavailable';
  constructor(
    message: string,
    readonly outage = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
