// The live feed's delivery rules over an in-memory message store and a fake Redis: replay first, then live
// messages in order and once, a lost publication filled from the store, and polling while Redis is away.
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { createLogger } from '../../common/src/logger';
import { Message } from '../../common/src/gen/mch/consultation/v1/consultation';
import { channelOf, LiveFeed } from './live';
import type { ConsultationRepository, MessageRow } from './repository';
import { toMessage } from './views';

const THREAD = '00000000-0000-4000-8000-000000000001';

class Store {
  readonly rows: MessageRow[] = [];
  add(text: string): Message {
    const row: MessageRow = {
      consultation_id: THREAD,
      sequence: String(this.rows.length + 1),
      id: `m${this.rows.length + 1}`,
      kind: 'post',
      status: 'completed',
      sender_account_id: 'a',
      sender_institution_id: null,
      text,
      attachments: [],
      event: '',
      event_account_id: '',
      sent_at: new Date(),
      text_sensitivity: 'plain',
      attachments_sensitivity: 'plain',
    };
    this.rows.push(row);
    return toMessage(row);
  }
  repository(): ConsultationRepository {
    return {
      messagesAfter: async (_id: string, after: number, limit: number) =>
        this.rows.filter((row) => Number(row.sequence) > after).slice(0, limit),
      lastSequences: async (ids: readonly string[]) => new Map(ids.map((id) => [id, this.rows.length])),
    } as unknown as ConsultationRepository;
  }
}

/** Publisher and subscriber of one fake Redis; `status` 'ready' or not, and publications delivered or dropped. */
class FakeRedis extends EventEmitter {
  status = 'ready';
  readonly channels = new Set<string>();
  drop = false;
  subscriber?: FakeRedis;
  async subscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.channels.add(channel);
  }
  async unsubscribe(...channels: string[]): Promise<void> {
    for (const channel of channels) this.channels.delete(channel);
  }
  async publish(channel: string, payload: Buffer): Promise<number> {
    if (this.status !== 'ready') throw new Error('Connection is closed.');
    if (!this.drop && this.subscriber?.channels.has(channel))
      this.subscriber.emit('messageBuffer', Buffer.from(channel), payload);
    return 1;
  }
  disconnect(): void {}
}

function collect(
  feed: LiveFeed,
  after: number,
  signal: AbortSignal,
): { texts: string[]; live: Promise<void>; done: Promise<void> } {
  const texts: string[] = [];
  let markLive!: () => void;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const done = (async () => {
    for await (const item of feed.messages(THREAD, after, signal)) {
      if (item === 'live') markLive();
      else texts.push(`${item.sequence}:${item.text}`);
    }
  })();
  return { texts, live, done };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the live feed', () => {
  let store: Store;
  let publisher: FakeRedis;
  let subscriber: FakeRedis;
  let feed: LiveFeed;
  const logger = createLogger('test', 'silent');

  beforeEach(() => {
    store = new Store();
    publisher = new FakeRedis();
    subscriber = new FakeRedis();
    publisher.subscriber = subscriber;
    feed = new LiveFeed(
      store.repository(),
      publisher as unknown as Redis,
      subscriber as unknown as Redis,
      { fallbackPollMs: 20, safetyPollMs: 60_000 },
      logger,
    );
  });
  afterEach(() => feed.close());

  it('replays what came after the given sequence, then delivers live posts in order, each once', async () => {
    store.add('one');
    store.add('two');
    const controller = new AbortController();
    const sub = collect(feed, 1, controller.signal);
    await sub.live;
    const three = store.add('three');
    feed.publish(three);
    feed.publish(three);
    await until(() => sub.texts.length >= 2);
    controller.abort();
    await sub.done;
    expect(sub.texts).toEqual(['2:two', '3:three']);
    expect(subscriber.channels.has(channelOf(THREAD))).toBe(false);
  });

  it('fills a lost publication from the store when a later sequence arrives', async () => {
    const controller = new AbortController();
    const sub = collect(feed, 0, controller.signal);
    await sub.live;
    publisher.drop = true;
    feed.publish(store.add('lost'));
    publisher.drop = false;
    feed.publish(store.add('seen'));
    await until(() => sub.texts.length >= 2);
    controller.abort();
    await sub.done;
    expect(sub.texts).toEqual(['1:lost', '2:seen']);
  });

  it('polls the store while Redis is away, and resumes with a catch-up when it returns', async () => {
    subscriber.status = 'reconnecting';
    publisher.status = 'reconnecting';
    const controller = new AbortController();
    const sub = collect(feed, 0, controller.signal);
    await sub.live;
    feed.publish(store.add('while down'));
    await until(() => sub.texts.length >= 1);
    expect(sub.texts).toEqual(['1:while down']);
    subscriber.status = 'ready';
    publisher.status = 'ready';
    subscriber.emit('ready');
    await until(() => subscriber.channels.has(channelOf(THREAD)));
    feed.publish(store.add('after'));
    await until(() => sub.texts.length >= 2);
    controller.abort();
    await sub.done;
    expect(sub.texts).toEqual(['1:while down', '2:after']);
  });
});
