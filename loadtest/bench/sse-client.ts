// A minimal server-sent events client over fetch, for tests and benchmarks: the status and error body when the
// stream was refused, then each event (id, event, data) with the time it arrived, until closed.
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
  /** performance.now() when the event's last line arrived. */
  readonly receivedAt: number;
}

export class SseStream {
  private readonly events: SseEvent[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  /** The id of the last event that carried one (what a reconnect sends as Last-Event-ID). */
  lastEventId: string | undefined;

  private constructor(
    readonly status: number,
    readonly errorBody: unknown,
    private readonly controller: AbortController,
  ) {}

  /** Opens the stream; a non-200 answer is returned as a closed stream with its status and JSON body. */
  static async open(url: string, headers: Record<string, string>): Promise<SseStream> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      const stream = new SseStream(response.status, text ? JSON.parse(text) : undefined, controller);
      stream.ended = true;
      return stream;
    }
    const stream = new SseStream(200, undefined, controller);
    void stream.read(response.body);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let id: string | undefined;
    let event = 'message';
    let data: string[] = [];
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (data.length > 0) {
              if (id !== undefined) this.lastEventId = id;
              this.events.push({ id, event, data: data.join('\n'), receivedAt: performance.now() });
              this.waiter?.();
            }
            id = undefined;
            event = 'message';
            data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    } finally {
      this.ended = true;
      this.waiter?.();
    }
  }

  /** The next event, or undefined once the stream ended; waits at most `timeoutMs`. */
  async next(timeoutMs = 30_000): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    return this.events.shift();
  }

  /** The next event named `event` (heartbeats are comments and never appear; other events are skipped). */
  async nextOf(event: string, timeoutMs = 30_000): Promise<SseEvent> {
    for (;;) {
      const next = await this.next(timeoutMs);
      if (!next) throw new Error(`stream ended before a ${event} event`);
      if (next.event === event) return next;
    }
  }

  close(): void {
    this.controller.abort();
  }
}
