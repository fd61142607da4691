import { useEffect, useState } from 'preact/hooks';
import { cart, refreshCart, setQuantity } from '../cart-state.js';
import { Problem } from '../components/common.js';
import { money } from '../format.js';
import { Link, navigate } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';

export function CartPage() {
  const current = useStore(cart);
  const [error, setError] = useState<{ variantId: string | null; error: unknown } | null>(null);
  useEffect(() => {
    refreshCart().catch((e) => setError({ variantId: null, error: e }));
  }, []);

  const change = async (variantId: string, quantity: number) => {
    setError(null);
    try {
      await setQuantity(variantId, quantity);
    } catch (e) {
      setError({ variantId, error: e });
    }
  };

  return (
    <main id="main" class="cart">
      <h1>Your cart</h1>
      {error?.variantId === null && <Problem error={error.error} />}
      {current.items.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Find something you like</Link>.
        </p>
      ) : (
        <>
          <ul class="lines">
            {current.items.map((line) => (
              <li key={line.variantId} class="line">
                <span class="line-title">{line.title}</span>
                <span class="line-price">{money(line.unitPrice)}</span>
                <label>
                  <span class="visually-hidden">Quantity of {line.title}</span>
                  <input
                    type="number"
                    min="0"
                    max="100"
                    value={line.quantity}
                    onChange={(e) => change(line.variantId, Math.max(0, Math.min(100, Number(e.currentTarget.value) || 0)))}
                  />
                </label>
                <button type="button" class="secondary" aria-label={`Remove ${line.title}`} onClick={() => change(line.variantId, 0)}>
                  Remove
                </button>
                {error?.variantId === line.variantId && <Problem error={error.error} />}
              </li>
            ))}
          </ul>
          <p class="subtotal">
            Subtotal <strong>{money(current.subtotal)}</strong>
          </p>
          <button type="button" onClick={() => navigate('/checkout')}>
            Checkout
          </button>
        </>
      )}
    </main>
  );
}
