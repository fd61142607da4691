// The shapes the console reads from the public API (see /openapi.json); only the fields it shows.

export interface Money {
  amount: number;
  currency: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'customer' | 'admin';
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type OrderStatus = 'pending' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';
export const ORDER_STATUSES: OrderStatus[] = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'];

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  items: { variantId: string; sku: string; title: string; quantity: number; unitPrice: Money }[];
  total: Money;
  shippingAddress: { name: string; line1: string; line2?: string; city: string; postalCode: string; country: string };
  payment: { status: string };
  shipment: { id: string; trackingNumber: string; status: string } | null;
  cancellationReason: string | null;
  timeline: { status: OrderStatus; at: string; note?: string }[];
  createdAt: string;
  updatedAt: string;
  /** Only in lists shown to an admin. */
  customerEmail?: string;
}

export interface SagaStep {
  name: string;
  kind: 'step' | 'compensation';
  status: 'succeeded' | 'failed' | 'pending';
  attempts: number;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface OrderDetail {
  order: Order;
  customer: { id: string; email: string; name: string } | null;
  saga: { status: string; steps: SagaStep[] };
  payment: { status: string; amount: Money; attempts: { operation: string; outcome: string; error: string | null; at: string }[] } | null;
  shipment: { id: string; status: string; trackingNumber: string; history: { status: string; at: string }[] } | null;
  messages: { id: string; type: string; direction: 'published' | 'handled'; group: string | null; at: string }[];
  traceId: string | null;
}

export interface Variant {
  id: string;
  sku: string;
  title: string;
  price: Money;
  attributes: Record<string, string>;
}

export interface Product {
  id: string;
  title: string;
  description: string;
  category: string;
  attributes: Record<string, string>;
  status: 'active' | 'archived';
  variants: Variant[];
  createdAt: string;
  updatedAt: string;
}

export interface Stock {
  sku: string;
  available: number;
  reserved: number;
  sold: number;
}

export interface Movement {
  id: string;
  sku: string;
  kind: string;
  delta: { available: number; reserved: number; sold: number };
  orderId: string | null;
  reason: string | null;
  at: string;
}

export interface DeadLetter {
  id: string;
  messageId: string;
  type: string;
  key: string;
  group: string;
  attempts: number;
  error: string | null;
  occurredAt: string;
  deadAt: string;
  data: unknown;
}

export interface EndpointHealth {
  attempts: number;
  succeeded: number;
  successRatio: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string;
  disabled: boolean;
  disabledReason: 'gone' | 'failing' | 'manual' | null;
  createdAt: string;
  updatedAt: string;
  health?: EndpointHealth;
}

export interface Delivery {
  id: string;
  messageId: string;
  eventType: string;
  attempt: number;
  status: 'succeeded' | 'failed';
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  at: string;
  requestHeaders?: Record<string, string>;
  responseBody?: string | null;
}

export interface EventType {
  type: string;
  version: number;
  description: string;
}

export interface SandboxMessage {
  id: string;
  notificationId: string;
  to: string;
  subject: string;
  text: string;
  createdAt: string;
}

/** Breaker states as the breakers route names them; the summary may spell half-open with a hyphen. */
export interface Breaker {
  name: string;
  state: string;
  since?: string;
  lastFailure?: string | null;
  bulkhead?: { executing: number; queued: number };
}

export interface Summary {
  generatedAt: string;
  orders: {
    perMinute: { minute: string; placed: number; confirmed: number; cancelled: number }[];
    byStatus: Record<OrderStatus, number>;
  };
  latency: { route: string; count: number; p50Ms: number | null; p99Ms: number | null }[];
  messaging: { groups: { group: string; backlog: number; oldestAgeSeconds: number | null }[] };
  deadLetters: { count: number };
  webhooks: { attempts: number; succeeded: number; successRatio: number | null };
  breakers: Breaker[];
  cache: { hits: number; misses: number; hitRatio: number | null };
}

export interface Edge {
  rateLimits: { enabled: boolean; classes: { name: string; quota: number; windowSeconds: number; scope: string }[] };
  loadShedding: { inFlight: number; limit: number | null; shed: number } & Record<string, unknown>;
  breakers: Breaker[];
}
