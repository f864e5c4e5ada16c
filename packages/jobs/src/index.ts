export { JobQueues, type ProducerOptions } from "./enqueue.ts";
export * from "./outbound-webhooks.ts";
export * from "./queues.ts";
export {
  type ProducerRedisOptions,
  producerReady,
  producerRedis,
  RedisUnavailableError,
  redisConnection,
  withDeadline,
} from "./redis.ts";
