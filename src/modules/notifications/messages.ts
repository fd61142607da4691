import { Type } from 'typebox';
import { defineMessage, type MessageContract } from '../../platform/messaging/contract.js';
import type { Channel } from './store.js';

const Send = Type.Object({ notificationId: Type.String() });

const sendOn = (channel: Channel) =>
  defineMessage(`notification.${channel}`, Send, { description: `Send one notification by ${channel}.` });

/** One notification to send on one channel, keyed by notification id; each channel's workers have their own. */
export const sendNotification: Record<Channel, MessageContract<`notification.${Channel}`, typeof Send>> = {
  email: sendOn('email'),
  sms: sendOn('sms'),
  push: sendOn('push'),
};
