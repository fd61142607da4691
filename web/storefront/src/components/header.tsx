import { useEffect, useRef, useState } from 'preact/hooks';
import { session } from '../api.js';
import { cart, itemCount } from '../cart-state.js';
import { Link, navigate, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';

/** The bar on every page: the shop's name, the search box, the account and the cart with its count. */
export function Header() {
  const here = useStore(place);
  const user = useStore(session);
  const count = itemCount(useStore(cart));
  const onSearch = here.path === '/search';
  const [text, setText] = useState(onSearch ? (here.query.get('q') ?? '') : '');
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => {
    if (onSearch) setText(here.query.get('q') ?? '');
  }, [here, onSearch]);

  // As the shopper types: the first keystroke opens the search page (a history entry), later ones refine it in place.
  const search = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    const typedOn = window.location.pathname;
    timer.current = setTimeout(() => {
      // The shopper went elsewhere (clicked a product) before the pause ended: that choice wins.
      if (window.location.pathname !== typedOn) return;
      const query = onSearch ? new URLSearchParams(window.location.search) : new URLSearchParams();
      if (value.trim()) query.set('q', value);
      else query.delete('q');
      navigate(`/search?${query}`, { replace: window.location.pathname === '/search' });
    }, 180);
  };

  return (
    <header class="top">
      <Link href="/" class="brand">
        Orderly<span>shop</span>
      </Link>
      {/* biome-ignore lint/a11y/useSemanticElements: a form with role=search is announced by every screen reader; <search> is not yet */}
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          search(text);
        }}
      >
        <input
          type="search"
          aria-label="Search"
          placeholder="Search products"
          value={text}
          onInput={(e) => search(e.currentTarget.value)}
        />
      </form>
      <nav class="nav" aria-label="Account and cart">
        <Link href={user ? '/account' : '/signin'}>{user ? 'Account' : 'Sign in'}</Link>
        <Link href="/cart" class="cart-link" aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}>
          Cart <span class="badge">{count}</span>
        </Link>
      </nav>
    </header>
  );
}
