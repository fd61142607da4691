import type { ComponentChildren } from 'preact';
import { session } from '../api.js';
import { signOut } from '../auth.js';
import { Link, place } from '../../../shared/router.js';
import { useStore } from '../../../shared/store.js';

const SECTIONS: [string, string][] = [
  ['/admin', 'Overview'],
  ['/admin/orders', 'Orders'],
  ['/admin/catalog', 'Catalog'],
  ['/admin/dead-letters', 'Dead letters'],
  ['/admin/webhooks', 'Webhooks'],
  ['/admin/notifications', 'Notifications'],
  ['/admin/edge', 'Provider & edge'],
];

/** The frame of every signed-in page: the sections down the side, who is signed in, and the page. */
export function Layout({ children }: { children: ComponentChildren }) {
  const here = useStore(place).path;
  const user = useStore(session)?.user;
  const current = (href: string) => (href === '/admin' ? here === '/admin' : here === href || here.startsWith(`${href}/`));
  return (
    <div class="frame">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="side">
        <Link href="/admin" class="brand">
          Orderly <span>console</span>
        </Link>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map(([href, name]) => (
              <li key={href}>
                <Link href={href} aria-current={current(href) ? 'page' : undefined}>
                  {name}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted">Signed in as</span>
          <span class="email">{user?.email}</span>
          <button type="button" class="link" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content">
        {children}
      </main>
    </div>
  );
}
