/** The shapes of the public API (shared/API.md) the shop reads. */
export interface Money {
  amount: number;
  currency: string;
}
export type Attributes = Record<string, string | number | boolean>;
export interface Variant {
  id: string;
  sku: string;
  title: string;
  price: Money;
  attributes: Attributes;
}
export interface Product {
  id: string;
  title: string;
  description: string;
  category: string;
  attributes: Attributes;
  status: 'active' | 'archived';
  variants: Variant[];
  createdAt: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface SearchPage extends Page<Product> {
  facets: { category: Record<string, number>; attributes: Record<string, Record<string, number>> };
}
export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
}
export interface Session {
  token: string;
  user: User;
}
export interface CartLine {
  variantId: string;
  sku: string;
  title: string;
  quantity: number;
  unitPrice: Money;
}
export interface Cart {
  items: CartLine[];
  subtotal: Money;
  version: number;
}
export type OrderStatus = 'pending' | 'confirmed' | 'shipped' | 'delivered' | 'cancelled';
export interface Address {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}
export interface Order {
  id: string;
  status: OrderStatus;
  items: CartLine[];
  total: Money;
  shippingAddress: Address;
  payment: { status: string };
  shipment: null | { id: string; trackingNumber: string; status: string };
  cancellationReason: string | null;
  timeline: { status: string; at: string; note?: string }[];
  createdAt: string;
}
export interface Notification {
  id: string;
  channel: string;
  template: string;
  status: string;
  createdAt: string;
}
export interface Preferences {
  email: boolean;
  sms: boolean;
  push: boolean;
}
