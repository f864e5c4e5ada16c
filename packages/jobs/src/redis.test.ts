import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { JobQueues } from "./enqueue.ts";
import {
  producerReady,
  producerRedis,
  RedisUnavailableError,
  redisConnection,
  withDeadline,
} from "./redis.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A port that accepts connections and never answers (a hung Redis). */
async function silentPort() {
  const srv = createServer(() => {});
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() };
}

const closeLater: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of closeLater) await c();
});

describe("producer and worker connections", () => {
  it("keeps the worker's blocking-friendly options", () => {
    expect(redisConnection(REDIS_URL)).toMatchObject({ maxRetriesPerRequest: null });
  });

  it("a producer works against real Redis", async () => {
    const client = producerRedis(REDIS_URL);
    closeLater.push(() => client.disconnect());
    await producerReady(client, 2000);
    expect(await client.ping()).toBe("PONG");
  });

  it("refuses when Redis refuses connections, and while reconnecting refuses at once", async () => {
    const client = producerRedis(`redis://127.0.0.1:${await closedPort()}`);
    closeLater.push(() => client.disconnect());
    await expect(producerReady(client, 2000)).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(producerReady(client, 2000)).rejects.toThrow(/Redis is (reconnecting|connecting|close)/);
    await expect(client.ping()).rejects.toThrow(/enableOfflineQueue/);
  });

  it("an enqueue against a Redis that never answers fails with RedisUnavailableError by the deadline", async () => {
    const silent = await silentPort();
    closeLater.push(silent.close);
    const queues = JobQueues.producer(`redis://127.0.0.1:${silent.port}`, "never", { deadlineMs: 300 });
    closeLater.push(() => queues.close());
    const add = queues.addZoomEvent({
      teamId: "t",
      source: "portal",
      event: "x",
      eventTs: 1,
      payload: {},
      receivedAt: 1,
    });
    await expect(add).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it("withDeadline passes results through and times out slow work", async () => {
    expect(await withDeadline(Promise.resolve(7), 100, "quick")).toBe(7);
    await expect(withDeadline(new Promise(() => {}), 20, "slow")).rejects.toMatchObject({
      code: "REDIS_UNAVAILABLE",
    });
  });
});
