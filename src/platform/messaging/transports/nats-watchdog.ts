import type { ConsumerInfo } from '@nats-io/jetstream';
import type { Logger } from '../../observability/logger.js';
import type { NatsLink } from './nats-connection.js';
import { consumerConfig, partOfSubject, type NatsTopology } from './nats-topology.js';

/**
 * Finds the consumers a broker crash left stuck, and makes them afresh. A kill -9 of nats-server (seen with
 * Debian's 2.9) can persist a work-queue message's removal but not its consumer's ack: after the restart the
 * consumer counts that message as handed out and unacknowledged, it never comes back (it is gone), and with
 * at most one delivery outstanding the partition waits forever. Such a consumer has work waiting, one
 * delivery outstanding, its last delivered message missing from the stream, and delivers nothing between two
 * checks. Made again under the same name, it starts from the oldest message left on its subject, which is
 * the oldest not yet acknowledged: order holds, and anything handed out twice is absorbed by the inbox.
 */
export function createConsumerWatchdog(deps: {
  topology: NatsTopology;
  logger: Logger;
  /** Told of each consumer made afresh. */
  recreated?: (group: string) => void;
}) {
  const { topology, logger } = deps;
  /** Consumers that looked stuck at the last check, with their delivery count then. */
  const suspects = new Map<string, number>();

  async function lastDeliveredIsGone(link: NatsLink, info: ConsumerInfo): Promise<boolean> {
    const message = await link.jsm.streams.getMessage(topology.stream, { seq: info.delivered.stream_seq }).catch(() => undefined);
    // undefined: the broker did not say; only a plain "no such message" counts.
    return message === null;
  }

  async function looksStuck(link: NatsLink, info: ConsumerInfo): Promise<boolean> {
    return info.num_pending > 0 && info.num_ack_pending > 0 && (await lastDeliveredIsGone(link, info));
  }

  async function recreate(link: NatsLink, info: ConsumerInfo): Promise<void> {
    const part = partOfSubject(topology, info.config.filter_subject ?? '');
    if (part === null) return;
    logger.warn(
      {
        consumer: info.name,
        group: part.group,
        pending: info.num_pending,
        delivered: info.delivered.stream_seq,
        ackFloor: info.ack_floor.stream_seq,
      },
      'NATS consumer stuck on a message the broker no longer has; making it afresh',
    );
    await link.jsm.consumers.delete(topology.stream, info.name);
    await link.jsm.consumers.add(topology.stream, consumerConfig(topology, part.group, part.partition));
    deps.recreated?.(part.group);
  }

  return {
    /**
     * One look at every consumer: one stuck at two looks in a row is made afresh, and one missing (a
     * recreation cut short by the broker going away) is made again.
     */
    async check(link: NatsLink, groups: readonly string[]): Promise<void> {
      const infos: ConsumerInfo[] = [];
      for await (const info of link.jsm.consumers.list(topology.stream)) infos.push(info);
      const known = new Set(infos.map((i) => i.name));
      for (const group of groups) {
        for (let partition = 0; partition < topology.partitions; partition += 1) {
          const config = consumerConfig(topology, group, partition);
          if (!known.has(config.durable_name)) await link.jsm.consumers.add(topology.stream, config);
        }
      }
      for (const info of infos) {
        const stuck = await looksStuck(link, info);
        const before = suspects.get(info.name);
        suspects.delete(info.name);
        if (!stuck) continue;
        if (before === info.delivered.consumer_seq) await recreate(link, info);
        else suspects.set(info.name, info.delivered.consumer_seq);
      }
    },
  };
}
