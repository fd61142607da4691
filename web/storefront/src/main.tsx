import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { refreshCart } from './cart-state.js';
import { ConnectionBanner } from './components/common.js';
import { Header } from './components/header.js';
import { AccountPage, SignInPage } from './pages/account.js';
import { CartPage } from './pages/cart.js';
import { CheckoutPage } from './pages/checkout.js';
import { HomePage } from './pages/home.js';
import { OrderPage } from './pages/order.js';
import { ProductPage } from './pages/product.js';
import { SearchPage } from './pages/search.js';
import { Link, match, place } from '../../shared/router.js';
import { useStore } from '../../shared/store.js';
import './styles.css';

// Kept equal to STOREFRONT_ROUTES in src/app.ts: the server answers index.html on exactly these paths.
const ROUTES: [string, (params: Record<string, string>) => preact.JSX.Element][] = [
  ['/', () => <HomePage />],
  ['/search', () => <SearchPage />],
  ['/products/:id', (p) => <ProductPage id={p.id!} />],
  ['/cart', () => <CartPage />],
  ['/checkout', () => <CheckoutPage />],
  ['/signin', () => <SignInPage />],
  ['/orders/:id', (p) => <OrderPage id={p.id!} />],
  ['/account', () => <AccountPage />],
];

function Page() {
  const here = useStore(place);
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, here.path);
    if (params) return page(params);
  }
  return (
    <main id="main">
      <h1>Page not found</h1>
      <Link href="/">Back to the shop</Link>
    </main>
  );
}

function App() {
  useEffect(() => {
    refreshCart().catch(() => undefined);
  }, []);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header />
      <ConnectionBanner />
      <Page />
      <footer class="foot">Orderly demo shop · payments run on the sandbox, nothing is charged</footer>
    </>
  );
}

render(<App />, document.getElementById('app')!);
