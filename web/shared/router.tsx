import type { ComponentChildren, JSX } from 'preact';
import { createStore } from './store.js';

/** Where the app is: the History API is the router, so a page's link can be shared and the back button works. */
export interface Place {
  path: string;
  query: URLSearchParams;
}

const here = (): Place => ({
  path: window.location.pathname.replace(/\/+$/, '') || '/',
  query: new URLSearchParams(window.location.search),
});
export const place = createStore<Place>(here());
window.addEventListener('popstate', () => place.set(here()));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else {
    history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  place.set(here());
}

/** The parameters a pattern such as `/products/:id` or `/admin/orders/:id` names, or null when the path is another page. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(got[i]!);
    else if (w !== got[i]) return null;
  }
  return params;
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An ordinary link (it opens in a new tab, it can be copied) that moves within the app when clicked. */
export function Link({ href, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a {...rest} href={href} onClick={onClick} />;
}
