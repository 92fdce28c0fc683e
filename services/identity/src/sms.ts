// The pluggable text-message sender. Production plugs an SMS gateway in here; locally the message goes
// to a file (SMS_OUTBOX_FILE), or to the log with the number masked.
import { appendFile } from 'node:fs/promises';
import type { Logger } from '../../common/src/logger';

export interface TextMessageSender {
  send(phone: string, text: string): Promise<void>;
}

export function localSender(outboxFile: string | undefined, logger: Logger): TextMessageSender {
  return {
    async send(phone, text) {
      if (outboxFile)
        await appendFile(outboxFile, `${JSON.stringify({ phone, text, at: new Date().toISOString() })}\n`);
      else logger.info({ to: `${phone.slice(0, 3)}****${phone.slice(-4)}` }, 'text message queued (local sender)');
    },
  };
}
