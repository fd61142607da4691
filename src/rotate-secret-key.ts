import type { Core } from './app.js';
import { sealStoredAnswers } from './platform/idempotency/answer-sealing.js';

/**
 * `orderly rotate-secret-key`: every stored secret sealed again under ORDERLY_SECRET_KEY, read with it or
 * with a key of ORDERLY_SECRET_KEY_PREVIOUS: webhook endpoints' signing secrets, and the answers kept for
 * Idempotency-Key replays. Run it once every process knows the new key (as current, or at least as
 * previous); afterwards the old key can leave ORDERLY_SECRET_KEY_PREVIOUS. Running it again changes nothing.
 */
export async function rotateSecretKeyCommand(core: Core): Promise<number> {
  const keyId = core.secrets.currentKeyId;
  const { endpoints, sealed } = await core.modules.webhooks.service.sealSecrets('all');
  process.stdout.write(
    `webhook endpoints: ${endpoints} looked at, ${sealed} re-encrypted under key ${keyId}, ${endpoints - sealed} already under it\n`,
  );
  const answers = await sealStoredAnswers(core.database, core.secrets);
  process.stdout.write(`idempotency answers: ${answers} re-encrypted under key ${keyId}\n`);
  return 0;
}
