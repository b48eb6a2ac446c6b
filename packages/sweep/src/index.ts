/**
 * @sam-repro/sweep: sweeps that outgrow one machine. `sweep` trains a figure's runs on the local pool or
 * on a BullMQ queue in Redis, `worker` trains queued runs on any machine with the repository and the
 * data, and the results come back through the queue into the sweeping machine's run store.
 */
export { checkReachable, describeTarget, parseRedisUrl, redisOptions, resolveQueueTarget, QUEUE_NAME, REDIS_PASSWORD_ENV_VAR, REDIS_URL_ENV_VAR, type RedisTarget } from "./connection.js";
export { jobIdOf, parseTrainReply, parseTrainRequest, REQUEST_FORMAT, trainRequestSchema, type TrainReply, type TrainRequest } from "./messages.js";
export { createQueueExecutor, type QueueExecutorOptions, type QueueStats } from "./queue-executor.js";
export { startWorker, lockDurationFromEnv, LOCK_MS_ENV_VAR, type RunProgress, type RunningWorker, type WorkerOptions } from "./worker.js";
export { queueStatus, resolveSweepTarget, sweep, SWEEP_PACKAGES, type SweepOptions, type SweepReport } from "./sweep.js";
export { registerCommands } from "./commands.js";
