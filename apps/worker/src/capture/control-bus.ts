// Control messages for running capture sessions (failover, interrupted, stopped) over Redis pub/sub.
// One subscriber connection per worker process, however many sessions it runs. Channels carry the team
// (captureControlChannel): a message published for another team's stream of the same id reaches nobody.
import { CaptureControl, captureControlChannel, type StreamKey } from "@capture/jobs";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logger.ts";

export type ControlHandler = (message: CaptureControl) => void;

export class ControlBus {
  readonly #sub: Redis;
  readonly #handlers = new Map<string, ControlHandler>();
  readonly #log: Logger;

  constructor(connection: RedisOptions, log: Logger) {
    this.#log = log;
    this.#sub = new Redis({ ...connection, lazyConnect: false });
    this.#sub.on("error", (err) => log.warn({ err: { message: err.message } }, "control bus redis error"));
    this.#sub.on("message", (channel: string, text: string) => {
      const handler = this.#handlers.get(channel);
      if (!handler) return;
      let parsed: ReturnType<typeof CaptureControl.safeParse>;
      try {
        parsed = CaptureControl.safeParse(JSON.parse(text));
      } catch {
        parsed = CaptureControl.safeParse(undefined);
      }
      if (!parsed.success) {
        this.#log.warn({ channel }, "ignoring a malformed capture control message");
        return;
      }
      handler(parsed.data);
    });
  }

  async subscribe(stream: StreamKey, handler: ControlHandler): Promise<() => Promise<void>> {
    const channel = captureControlChannel(stream);
    this.#handlers.set(channel, handler);
    await this.#sub.subscribe(channel);
    return async () => {
      if (this.#handlers.get(channel) !== handler) return;
      this.#handlers.delete(channel);
      await this.#sub.unsubscribe(channel).catch(() => {});
    };
  }

  async close() {
    this.#handlers.clear();
    this.#sub.disconnect();
  }
}

/** Publishes a control message; resolves to the number of workers that received it (0 = nobody runs it). */
export async function publishControl(
  redis: Redis,
  stream: StreamKey,
  message: CaptureControl,
): Promise<number> {
  return redis.publish(captureControlChannel(stream), JSON.stringify(CaptureControl.parse(message)));
}
