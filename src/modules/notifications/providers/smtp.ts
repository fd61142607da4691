import nodemailer from 'nodemailer';
import type { ChannelProvider } from '../provider.js';

/** Email over SMTP (`SMTP_URL`, e.g. smtp://user:pass@host:587), pooled; the notification id is the Message-ID. */
export function createSmtpProvider(url: string, from: string, timeoutMs: number): ChannelProvider {
  const transport = nodemailer.createTransport(url, {
    pool: true,
    maxConnections: 5,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as never);
  return {
    name: 'smtp',
    embedded: false,
    async send(message) {
      await transport.sendMail({
        from,
        to: message.recipient,
        subject: message.subject,
        text: message.body,
        messageId: `<${message.id}@orderly>`,
      });
    },
    async close() {
      transport.close();
    },
  };
}
