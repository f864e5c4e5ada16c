// Entry point: `pnpm --filter @capture/worker start`. Bad configuration exits 1 with the variable named;
// SIGTERM/SIGINT release every session to another worker (Zoom is not told to stop) and exit 0.
import { EnvError, loadEnv, redactedEnv } from "./env.ts";
import { createLogger } from "./logger.ts";
import { startWorker } from "./worker.ts";

async function main() {
  let env: ReturnType<typeof loadEnv>;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      for (const issue of err.issues) process.stderr.write(`worker: ${issue.variable} ${issue.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(env.LOG_LEVEL);
  log.info({ env: redactedEnv(env) }, "worker starting");
  const worker = await startWorker(env, log).catch((err: unknown) => {
    log.fatal({ err }, "worker failed to start");
    process.exit(1);
  });

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      log.error("shutdown took longer than 25 s: exiting");
      process.exit(1);
    }, 25_000);
    force.unref();
    void worker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

void main();
