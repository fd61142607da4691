import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { access, checkAccess } from './auth.js';
import { Loading } from './components/common.js';
import { Layout } from './components/layout.js';
import { CatalogPage } from './pages/catalog.js';
import { DeadLettersPage } from './pages/dead-letters.js';
import { EdgePage } from './pages/edge.js';
import { NotificationsPage } from './pages/notifications.js';
import { OrderPage } from './pages/order.js';
import { OrdersPage } from './pages/orders.js';
import { OverviewPage } from './pages/overview.js';
import { ProductPage } from './pages/product.js';
import { SignInPage } from './pages/signin.js';
import { WebhookPage } from './pages/webhook.js';
import { WebhooksPage } from './pages/webhooks.js';
import { Link, match, navigate, place } from '../../shared/router.js';
import { useStore } from '../../shared/store.js';
import './styles.css';

// Kept equal to CONSOLE_ROUTES in src/app.ts: the server answers index.html on exactly these paths.
const ROUTES: [string, (params: Record<string, string>) => preact.JSX.Element][] = [
  ['/admin', () => <OverviewPage />],
  ['/admin/orders', () => <OrdersPage />],
  ['/admin/orders/:id', (p) => <OrderPage id={p.id!} />],
  ['/admin/catalog', () => <CatalogPage />],
  ['/admin/catalog/:id', (p) => <ProductPage id={p.id!} />],
  ['/admin/dead-letters', () => <DeadLettersPage />],
  ['/admin/webhooks', () => <WebhooksPage />],
  ['/admin/webhooks/:id', (p) => <WebhookPage id={p.id!} />],
  ['/admin/notifications', () => <NotificationsPage />],
  ['/admin/edge', () => <EdgePage />],
];

function Page({ path }: { path: string }) {
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, path);
    if (params) return page(params);
  }
  return (
    <>
      <h1>Page not found</h1>
      <Link href="/admin">Back to the overview</Link>
    </>
  );
}

const SIGN_IN = '/admin/signin';

function App() {
  const state = useStore(access);
  const here = useStore(place);
  useEffect(() => {
    checkAccess();
  }, []);
  // Anyone but an admin sees the sign-in page only: no other page mounts, so none of their API calls is made.
  useEffect(() => {
    if (state === 'signed-out' && here.path !== SIGN_IN) {
      const next = here.path === '/admin' ? '' : `?next=${encodeURIComponent(here.path + (here.query.size ? `?${here.query}` : ''))}`;
      navigate(`${SIGN_IN}${next}`, { replace: true });
    }
    if (state === 'admin' && here.path === SIGN_IN) navigate(safeNext(here.query.get('next')), { replace: true });
  }, [state, here]);

  if (state === 'checking')
    return (
      <main id="main" class="center">
        <Loading what="Checking your session…" />
      </main>
    );
  if (state === 'signed-out' || here.path === SIGN_IN) return <SignInPage />;
  return (
    <Layout>
      <Page path={here.path} />
    </Layout>
  );
}

/** Only a console path may follow sign-in: a crafted ?next= must not send the operator elsewhere. */
function safeNext(next: string | null): string {
  return next?.startsWith('/admin/') && !next.startsWith('//') ? next : '/admin';
}

render(<App />, document.getElementById('app')!);
