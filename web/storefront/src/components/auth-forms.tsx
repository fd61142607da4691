import { useState } from 'preact/hooks';
import { ApiError, api, saveSession } from '../api.js';
import { mergeGuestCart } from '../cart-state.js';
import type { Session } from '../types.js';
import { Problem } from './common.js';

/** Sign in or create an account; on success the cart gathered while signed out joins the account's. */
export function AuthForms({ onDone }: { onDone: () => void }) {
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const body: Record<string, string> = { email: String(form.get('email')), password: String(form.get('password')) };
    if (mode === 'signup') body.name = String(form.get('name'));
    setBusy(true);
    setError(null);
    try {
      const { data } = await api<Session>('POST', mode === 'signup' ? '/v1/auth/signup' : '/v1/auth/login', { body });
      saveSession({ token: data.token, user: data.user });
      await mergeGuestCart();
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string) => error?.forField(name);
  return (
    <section class="auth" aria-labelledby="auth-title">
      <h2 id="auth-title">{mode === 'signin' ? 'Sign in' : 'Create an account'}</h2>
      <form onSubmit={submit} noValidate={false}>
        {mode === 'signup' && <Field label="Name" name="name" autoComplete="name" error={field('name')} required />}
        <Field label="Email" name="email" type="email" autoComplete="email" error={field('email')} required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          minLength={mode === 'signup' ? 8 : undefined}
          hint={mode === 'signup' ? 'At least 8 characters.' : undefined}
          error={field('password')}
          required
        />
        {error && !['name', 'email', 'password'].some((f) => field(f)) && <Problem error={error} />}
        <button type="submit" disabled={busy}>
          {mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <p>
        {mode === 'signin' ? 'New here? ' : 'Have an account? '}
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(mode === 'signin' ? 'signup' : 'signin');
            setError(null);
          }}
        >
          {mode === 'signin' ? 'Create an account' : 'Sign in instead'}
        </button>
      </p>
    </section>
  );
}

interface FieldProps {
  label: string;
  name: string;
  type?: string;
  autoComplete?: string;
  required?: boolean;
  minLength?: number | undefined;
  error?: string | undefined;
  hint?: string | undefined;
  value?: string;
  onInput?: (value: string) => void;
}

/** A labelled input whose error sits right under it and is announced with it. */
export function Field(props: FieldProps) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        autoComplete={props.autoComplete}
        required={props.required}
        minLength={props.minLength}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described || undefined}
        {...(props.value !== undefined ? { value: props.value } : {})}
        {...(props.onInput ? { onInput: (e: Event) => props.onInput?.((e.currentTarget as HTMLInputElement).value) } : {})}
      />
      {props.hint && (
        <small id={`${id}-hint`} class="muted">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${id}-error`} class="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}
