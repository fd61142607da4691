import { useState } from 'preact/hooks';
import { signInReason } from '../api.js';
import { signIn } from '../auth.js';
import { Problem } from '../components/common.js';
import { useStore } from '../../../shared/store.js';

export function SignInPage() {
  const reason = useStore(signInReason);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="center">
      <form class="signin" onSubmit={submit}>
        <p class="brand">
          Orderly <span>console</span>
        </p>
        <h1>Sign in</h1>
        {reason ? (
          <p class="notice" role="status">
            {reason}
          </p>
        ) : null}
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <Problem error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          Use the admin set by ORDERLY_ADMIN_EMAIL and ORDERLY_ADMIN_PASSWORD, or the demo admin that <code>npm start</code> prints on its
          first start.
        </p>
      </form>
    </main>
  );
}
