// Live delivery of a thread's messages. A post is published on the thread's Redis channel after its commit; every
// process subscribed to that channel hands it to its local subscribers. Redis is only a fast path: each subscriber
// replays from Postgres first, drops what it already sent (by sequence), fills any jump in sequence from Postgres,
// and a poll of the threads' last sequence numbers (every second while Redis is away, every few seconds otherwise)
// catches a message whose publication was lost. Nothing is lost, nothing is sent twice, order is the sequence.
import type Redis from 'ioredis';
import { Message } from '../../common/src/gen/mch/consultation/v1/consultation';
import type { Logger } from '../../common/src/logger';
import type { ConsultationRepository } from './repository';
import { toMessage } from './views';

/** One item a subscriber waits for: a message from the channel, or the thread's last sequence from a poll. */
type FeedItem = { readonly message: Message } | { readonly lastSequence: number };

export interface LiveFeedOptions {
  /** Poll interval while the Redis subscription is down. */
  readonly fallbackPollMs: number;
  /** Poll interval while it is up (catches a lost publication that no later message reveals). */
  readonly safetyPollMs: number;
  /** Page size of replays and gap fills. */
  readonly pageSize?: number;
}

export function channelOf(consultationId: string): string {
  return `consultation:thread:${consultationId}`;
}

const CHANNEL_PREFIX = channelOf('');

/** A queue one subscriber awaits; `next` resolves undefined once the signal aborts. */
class FeedQueue {
  private readonly items: FeedItem[] = [];
  private wake: (() => void) | undefined;

  push(item: FeedItem): void {
    this.items.push(item);
    this.wake?.();
  }

  async next(signal: AbortSignal): Promise<FeedItem | undefined> {
    while (this.items.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done);
      });
    }
    return this.items.shift();
  }
}

export class LiveFeed {
  private readonly listeners = new Map<string, Set<FeedQueue>>();
  private readonly timer: NodeJS.Timeout;
  private lastPollAt = 0;
  private polling = false;
  private readonly pageSize: number;

  constructor(
    private readonly repository: ConsultationRepository,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly options: LiveFeedOptions,
    private readonly logger: Logger,
  ) {
    this.pageSize = options.pageSize ?? 200;
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.onPublished(channel.toString(), payload));
    // Channels asked for while Redis was away, and what was published meanwhile, are caught up when it returns.
    subscriber.on('ready', () => {
      const channels = [...this.listeners.keys()].map(channelOf);
      if (channels.length > 0)
        subscriber
          .subscribe(...channels)
          .catch((error: unknown) => this.logger.debug({ err: error }, 'resubscribe failed'));
      void this.poll();
    });
    this.timer = setInterval(
      () => {
        const interval = this.redisLive() ? options.safetyPollMs : options.fallbackPollMs;
        if (Date.now() - this.lastPollAt >= interval) void this.poll();
      },
      Math.min(options.fallbackPollMs, options.safetyPollMs),
    );
    this.timer.unref();
  }

  private redisLive(): boolean {
    return this.subscriber.status === 'ready';
  }

  /** Announces a committed message to every process; a failure only delays delivery until the next poll. */
  publish(message: Message): void {
    this.publisher
      .publish(channelOf(message.consultationId), Buffer.from(Message.encode(message).finish()))
      .catch((error: unknown) => {
        this.logger.debug({ err: error }, 'publish failed; subscribers catch up from Postgres');
      });
  }

  private onPublished(channel: string, payload: Buffer): void {
    if (!channel.startsWith(CHANNEL_PREFIX)) return;
    const queues = this.listeners.get(channel.slice(CHANNEL_PREFIX.length));
    if (!queues) return;
    let message: Message;
    try {
      message = Message.decode(payload);
    } catch (error) {
      this.logger.warn({ err: error }, 'undecodable consultation publication ignored');
      return;
    }
    for (const queue of queues) queue.push({ message });
  }

  private async poll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    this.lastPollAt = Date.now();
    try {
      const last = await this.repository.lastSequences([...this.listeners.keys()]);
      for (const [consultationId, lastSequence] of last) {
        for (const queue of this.listeners.get(consultationId) ?? []) queue.push({ lastSequence });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'live feed poll failed');
    } finally {
      this.polling = false;
    }
  }

  private attach(consultationId: string, queue: FeedQueue): void {
    let queues = this.listeners.get(consultationId);
    if (!queues) {
      queues = new Set();
      this.listeners.set(consultationId, queues);
      if (this.redisLive()) {
        this.subscriber
          .subscribe(channelOf(consultationId))
          .catch((error: unknown) => this.logger.debug({ err: error }, 'subscribe failed; polling'));
      }
    }
    queues.add(queue);
  }

  private detach(consultationId: string, queue: FeedQueue): void {
    const queues = this.listeners.get(consultationId);
    if (!queues) return;
    queues.delete(queue);
    if (queues.size === 0) {
      this.listeners.delete(consultationId);
      if (this.redisLive()) this.subscriber.unsubscribe(channelOf(consultationId)).catch(() => undefined);
    }
  }

  /**
   * Every message of the thread after `afterSequence`, in sequence order, each once, until `signal` aborts: first
   * `'live'` once the subscriber is attached, then the replay from Postgres, then live ones.
   */
  async *messages(
    consultationId: string,
    afterSequence: number,
    signal: AbortSignal,
  ): AsyncGenerator<Message | 'live'> {
    const queue = new FeedQueue();
    // Attached before the replay reads: a message committed meanwhile is either in the replay or in the queue.
    this.attach(consultationId, queue);
    try {
      yield 'live';
      let sent = afterSequence;
      const catchUp = async function* (this: LiveFeed): AsyncGenerator<Message> {
        for (;;) {
          const rows = await this.repository.messagesAfter(consultationId, sent, this.pageSize);
          for (const row of rows) {
            sent = Number(row.sequence);
            yield toMessage(row);
          }
          if (rows.length < this.pageSize || signal.aborted) return;
        }
      }.bind(this);
      yield* catchUp();
      while (!signal.aborted) {
        const item = await queue.next(signal);
        if (!item) return;
        if ('lastSequence' in item) {
          if (item.lastSequence > sent) yield* catchUp();
          continue;
        }
        const sequence = Number(item.message.sequence);
        if (sequence <= sent) continue;
        if (sequence === sent + 1) {
          sent = sequence;
          yield item.message;
        } else {
          // A jump: the publications in between were lost or are still on their way; Postgres has them.
          yield* catchUp();
        }
      }
    } finally {
      this.detach(consultationId, queue);
    }
  }

  /** Local subscribers, for metrics and tests. */
  subscriberCount(): number {
    let count = 0;
    for (const queues of this.listeners.values()) count += queues.size;
    return count;
  }

  close(): void {
    clearInterval(this.timer);
    this.subscriber.disconnect();
  }
}
