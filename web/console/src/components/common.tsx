import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** An API error shown where it happened. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="problem" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p class="muted" aria-live="polite">
      {what}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export interface Loaded<T> {
  value?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads something when its key changes (and on reload); the page shows loading, the error, or the value. */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>, everyMs?: number): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // The key names what is loaded; the loader is a fresh closure on every render and deliberately not a dependency.
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setState({ value, loading: false }),
      // A failed refresh keeps the last value on screen beside the error: stale numbers, clearly marked, beat none.
      (error) => !controller.signal.aborted && setState((s) => ({ ...s, error, loading: false })),
    );
    const timer = everyMs ? setTimeout(() => setTick((t) => t + 1), everyMs) : undefined;
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** What a page shows before its data: loading, or the error with a retry. */
export function Gate<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.value !== undefined)
    return (
      <>
        {loaded.error ? <Problem error={loaded.error} /> : null}
        {children(loaded.value)}
      </>
    );
  if (loaded.error)
    return (
      <div>
        <Problem error={loaded.error} />
        <button type="button" onClick={loaded.reload}>
          Try again
        </button>
      </div>
    );
  return <Loading />;
}

/**
 * A button whose action is confirmed in a modal dialog first (destructive and bulk actions). The dialog
 * names what will happen; the action's error is shown in it.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  confirmLabel: string;
  children: ComponentChildren;
  onConfirm: () => Promise<unknown>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useRef(`confirm-${Math.random().toString(36).slice(2, 9)}`).current;
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      dialog.current?.close();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        disabled={props.disabled}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {props.label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{props.title}</h2>
        <div class="dialog-body">{props.children}</div>
        <Problem error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Keep as is
          </button>
          <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A button that runs an action and says so while it runs; its error shows beside it. */
export function ActionButton(props: { label: string; onClick: () => Promise<unknown>; primary?: boolean; describedBy?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <span class="action">
      <button
        type="button"
        class={props.primary ? 'primary' : ''}
        aria-describedby={props.describedBy}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await props.onClick();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {props.label}
      </button>
      {error ? <Problem error={error} /> : null}
    </span>
  );
}

const TONES: Record<string, string> = {
  confirmed: 'ok',
  delivered: 'ok',
  shipped: 'ok',
  succeeded: 'ok',
  closed: 'ok',
  active: 'ok',
  enabled: 'ok',
  sent: 'ok',
  up: 'ok',
  in_transit: 'info',
  pending: 'info',
  created: 'info',
  'half open': 'warn',
  half_open: 'warn',
  'half-open': 'warn',
  refunded: 'warn',
  archived: 'muted',
  disabled: 'bad',
  cancelled: 'bad',
  declined: 'bad',
  failed: 'bad',
  open: 'bad',
  isolated: 'bad',
  down: 'bad',
};

/** A status in a coloured pill whose text carries the meaning (colour alone would not). */
export function Status({ value }: { value: string }) {
  return <span class={`pill ${TONES[value] ?? 'muted'}`}>{value.replace(/_/g, ' ')}</span>;
}

/** A list's "Next page" link-button; the first page is one click on the page's own link. */
export function Pager({
  nextCursor,
  onNext,
  onFirst,
  onFirstPage,
}: {
  nextCursor: string | null;
  onNext: (cursor: string) => void;
  onFirst: () => void;
  onFirstPage: boolean;
}) {
  return (
    <div class="pager">
      <button type="button" disabled={onFirstPage} onClick={onFirst}>
        First page
      </button>
      <button type="button" disabled={nextCursor === null} onClick={() => nextCursor && onNext(nextCursor)}>
        Next page
      </button>
    </div>
  );
}

/** A label and value pair in a facts list. */
export function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** Structured data (a payload, headers) as readable, scrollable JSON. */
export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard to be read
    <pre class="json" tabIndex={0} title={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
