import type { MigrationSet } from '../../../platform/db/migrations.js';
import * as webhooks from './0001_webhooks.js';
import * as partialEndpointIndex from './0002_partial_endpoint_index.js';
import * as endpointChanges from './0003_endpoint_changes.js';
import * as liveAndDeadIndexes from './0004_live_and_dead_indexes.js';
import * as fanouts from './0005_fanouts.js';
import * as messageTraces from './0006_message_traces.js';
import * as attemptExchange from './0007_attempt_exchange.js';

export const webhooksMigrations: MigrationSet = {
  owner: 'webhooks',
  migrations: {
    '0001_webhooks': webhooks,
    '0002_partial_endpoint_index': partialEndpointIndex,
    '0003_endpoint_changes': endpointChanges,
    '0004_live_and_dead_indexes': liveAndDeadIndexes,
    '0005_fanouts': fanouts,
    '0006_message_traces': messageTraces,
    '0007_attempt_exchange': attemptExchange,
  },
};
