import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, session } from '../api.js';
import { cart, forgetCart, itemCount, refreshCart } from '../cart-state.js';
import { AuthForms, Field } from '../components/auth-forms.js';
import { Problem } from '../components/common.js';
import { money } from '../format.js';
import { Link, navigate } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';
import type { Address, Order } from '../types.js';

/** The sandbox's card tokens (API.md), offered as test cards. */
const TEST_CARDS = [
  { token: 'tok_visa', label: 'Visa •••• 4242 (test card, succeeds)' },
  { token: 'tok_declined', label: 'Visa •••• 0002 (test card, declined)' },
  { token: 'tok_insufficient_funds', label: 'Visa •••• 9995 (test card, insufficient funds)' },
];

const FIELDS: { name: keyof Address; label: string; autoComplete: string; optional?: boolean }[] = [
  { name: 'name', label: 'Name', autoComplete: 'name' },
  { name: 'line1', label: 'Address line 1', autoComplete: 'address-line1' },
  { name: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2', optional: true },
  { name: 'city', label: 'City', autoComplete: 'address-level2' },
  { name: 'postalCode', label: 'Postal code', autoComplete: 'postal-code' },
];
const COUNTRIES = [
  ['US', 'United States'],
  ['CA', 'Canada'],
  ['GB', 'United Kingdom'],
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['NL', 'Netherlands'],
  ['ES', 'Spain'],
  ['IT', 'Italy'],
  ['SE', 'Sweden'],
  ['AU', 'Australia'],
] as const;

/**
 * One Idempotency-Key per cart version, kept in sessionStorage: a double click, a retry after a lost
 * connection and a reload of this page all send the same key, so the shop makes one order; a changed cart
 * is a new order and gets a new key.
 */
function idempotencyKey(version: number): string {
  const name = `orderly.checkout.${session.get()?.user.id}.${version}`;
  let key = sessionStorage.getItem(name);
  if (!key) sessionStorage.setItem(name, (key = crypto.randomUUID()));
  return key;
}

function validate(address: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const f of FIELDS) if (!f.optional && !(address[f.name] ?? '').trim()) errors[f.name] = `${f.label} is required.`;
  if (address.postalCode && !/^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(address.postalCode.trim()))
    errors.postalCode = 'Enter a valid postal code.';
  return errors;
}

export function CheckoutPage() {
  const user = useStore(session);
  const current = useStore(cart);
  const [address, setAddress] = useState<Record<string, string>>({ name: user?.user.name ?? '', country: 'US' });
  const [card, setCard] = useState('tok_visa');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [placing, setPlacing] = useState(false);
  const inFlight = useRef(false);

  useEffect(() => {
    refreshCart().catch(setFailure);
  }, [user]);
  useEffect(() => {
    if (user && !address.name) setAddress((a) => ({ ...a, name: user.user.name }));
  }, [user, address.name]);

  if (!user)
    return (
      <main id="main" class="checkout">
        <h1>Checkout</h1>
        <p>Sign in or create an account to place your order. Your cart comes with you.</p>
        <AuthForms onDone={() => undefined} />
      </main>
    );

  const place = async (event: Event) => {
    event.preventDefault();
    if (inFlight.current) return;
    const found = validate(address);
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) return;
    inFlight.current = true;
    setPlacing(true);
    try {
      const shippingAddress: Address = {
        name: address.name!.trim(),
        line1: address.line1!.trim(),
        city: address.city!.trim(),
        postalCode: address.postalCode!.trim(),
        country: address.country ?? 'US',
        ...(address.line2?.trim() ? { line2: address.line2.trim() } : {}),
      };
      const { data } = await api<Order>('POST', '/v1/orders', {
        body: { shippingAddress, paymentToken: card },
        headers: { 'idempotency-key': idempotencyKey(current.version) },
      });
      forgetCart();
      navigate(`/orders/${data.id}`);
    } catch (e) {
      if (e instanceof ApiError) setErrors(Object.fromEntries(FIELDS.map((f) => [f.name, e.forField(f.name) ?? ''])));
      setFailure(e);
    } finally {
      inFlight.current = false;
      setPlacing(false);
    }
  };

  return (
    <main id="main" class="checkout">
      <h1>Checkout</h1>
      <p class="muted">
        Signed in as {user.user.email}. {itemCount(current)} {itemCount(current) === 1 ? 'item' : 'items'}, {money(current.subtotal)}.{' '}
        <Link href="/cart">Edit cart</Link>
      </p>
      {current.items.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Keep shopping</Link>.
        </p>
      ) : (
        <form class="checkout-form" onSubmit={place} noValidate>
          <fieldset>
            <legend>Shipping address</legend>
            {FIELDS.map((f) => (
              <Field
                key={f.name}
                label={f.label}
                name={f.name}
                autoComplete={f.autoComplete}
                required={!f.optional}
                value={address[f.name] ?? ''}
                onInput={(value) => {
                  setAddress({ ...address, [f.name]: value });
                  // A corrected field stops showing its error at once; the rest wait for the next attempt.
                  if (errors[f.name]) setErrors({ ...errors, [f.name]: '' });
                }}
                error={errors[f.name] || undefined}
              />
            ))}
            <div class="field">
              <label for="field-country">Country</label>
              <select
                id="field-country"
                name="country"
                autoComplete="country"
                value={address.country}
                onChange={(e) => setAddress({ ...address, country: e.currentTarget.value })}
              >
                {COUNTRIES.map(([code, name]) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
          </fieldset>
          <fieldset>
            <legend>Payment</legend>
            <div class="field">
              <label for="field-card">Card</label>
              <select id="field-card" name="card" value={card} onChange={(e) => setCard(e.currentTarget.value)}>
                {TEST_CARDS.map((c) => (
                  <option key={c.token} value={c.token}>
                    {c.label}
                  </option>
                ))}
              </select>
              <small class="muted">This shop runs on the payment sandbox: no real card is charged.</small>
            </div>
          </fieldset>
          <Problem error={failure} />
          <button type="submit" disabled={placing} aria-busy={placing}>
            Place order
          </button>
          <p class="total">
            Total <strong>{money(current.subtotal)}</strong>
          </p>
        </form>
      )}
    </main>
  );
}
