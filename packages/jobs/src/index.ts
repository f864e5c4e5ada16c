export * from "./queues.ts";
export { JobQueues } from "./enqueue.ts";
export { redisConnection } from "./redis.ts";
