// Two kinds of Redis connection, never shared (the formbricks packages/jobs split):
// - the WORKER's (`redisConnection`): BullMQ workers issue blocking commands (BZPOPMIN and friends), which
//   must wait as long as they need, so `maxRetriesPerRequest: null` and ioredis' offline queue stay on;
// - the PRODUCER's (`producerRedis`): the portal enqueues from HTTP requests that must answer within
//   Zoom's 3 s. When Redis is unreachable a command has to fail at once (offline queue off), and a
//   command on a connection that stopped answering has to fail soon (command timeout), so the request can
//   answer 503 and Zoom redelivers later.
import type { ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";

function urlOptions(redisUrl: string) {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/** BullMQ connection options from a redis:// URL, for workers (blocking commands: maxRetriesPerRequest null). */
export function redisConnection(redisUrl: string): ConnectionOptions {
  return { ...urlOptions(redisUrl), maxRetriesPerRequest: null };
}

export interface ProducerRedisOptions {
  /** Longest wait for a TCP connect (ms). */
  connectTimeoutMs?: number;
  /** Longest wait for any one command's reply (ms). */
  commandTimeoutMs?: number;
}

/**
 * A fail-fast ioredis client for producers (HTTP handlers). It keeps reconnecting in the background, but
 * while it is not connected every command rejects at once instead of being queued.
 */
export function producerRedis(redisUrl: string, options: ProducerRedisOptions = {}): Redis {
  const client = new Redis({
    ...urlOptions(redisUrl),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    // Reconnect forever, at most every 2 s: an outage ends by itself, and requests meanwhile get 503.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Without a listener ioredis reports each failed reconnect as an unhandled 'error' event. Callers see
  // the failure on their own commands (and the portal's health route reports it).
  client.on("error", () => {});
  return client;
}

export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
  readonly code = "REDIS_UNAVAILABLE";
}

/**
 * Rejects with RedisUnavailableError when the work takes longer than `ms`. BullMQ waits for a producer
 * connection's first 'ready' without a timeout of its own, so every producer call goes through this.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const fail = () => reject(new RedisUnavailableError(`${what}: no answer from Redis within ${ms} ms`));
    // Expired timers run before the event loop reads sockets, so on a saturated loop the answer may already
    // be waiting: setImmediate runs after this turn's socket reads, and an answer that is there wins.
    timer = setTimeout(() => setImmediate(fail), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once a producer client can take commands. The first connection (status "connecting") is waited
 * for, up to `ms`, so a process's first request does not fail only because it came first; a client that
 * lost its connection ("reconnecting") is an outage, refused at once.
 */
export function producerReady(client: Redis, ms: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  if (client.status !== "connecting" && client.status !== "connect" && client.status !== "wait") {
    return Promise.reject(new RedisUnavailableError(`Redis is ${client.status}`));
  }
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = () => {
      client.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      client.off("ready", onReady);
      reject(new RedisUnavailableError("Redis refused the connection"));
    };
    client.once("ready", onReady);
    client.once("close", onClose);
  });
  return withDeadline(ready, ms, "connect");
}
