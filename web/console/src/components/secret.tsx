/** A signing secret that is shown once: the operator copies it now or rotates it later. */
export function SecretOnce({ secret, what }: { secret: string; what: string }) {
  return (
    <div class="secret" role="status">
      <p>
        <strong>{what}</strong> Copy it now: it is not shown again.
      </p>
      <code class="mono">{secret}</code>
    </div>
  );
}
