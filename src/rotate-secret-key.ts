import type { Core } from './app.js';

/**
 * `orderly rotate-secret-key`: every stored secret sealed again under ORDERLY_SECRET_KEY, read with it or
 * with a key of ORDERLY_SECRET_KEY_PREVIOUS. Run it once every process knows the new key (as current, or
 * at least as previous); afterwards the old key can leave ORDERLY_SECRET_KEY_PREVIOUS. Running it again
 * changes nothing.
 */
export async function rotateSecretKeyCommand(core: Core): Promise<number> {
  const { endpoints, sealed } = await core.modules.webhooks.service.sealSecrets('all');
  process.stdout.write(
    `webhook endpoints: ${endpoints} looked at, ${sealed} re-encrypted under key ${core.secrets.currentKeyId}, ${endpoints - sealed} already under it\n`,
  );
  return 0;
}
