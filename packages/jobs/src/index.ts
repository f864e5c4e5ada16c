export { JobQueues } from "./enqueue.ts";
export * from "./queues.ts";
export { redisConnection } from "./redis.ts";
