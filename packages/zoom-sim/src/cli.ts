// zoom-sim CLI: starts the simulator, optionally plays a scenario and registers webhook targets, prints its
// URLs as one JSON line on stdout (logs go to stderr), and shuts down cleanly on SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import pino from "pino";
import { z } from "zod";
import { loadScenarioFile } from "./scenario/load.ts";
import { runScenario } from "./scenario/runner.ts";
import { startZoomSim } from "./sim.ts";

const HELP = `zoom-sim: a local Zoom (OAuth, Rooms API, event WebSocket, webhooks, RTMS servers) for tests and demos

Usage: zoom-sim [options]

  --port <n>                 port to listen on (env ZOOM_SIM_PORT; default 9090, 0 = any)
  --host <ip>                address to bind (default 127.0.0.1)
  --scenario <file>          play a YAML/JSON scenario (e.g. scenarios/demo.yaml)
  --webhook <url>            send signed webhooks there after URL validation (repeatable; env ZOOM_SIM_WEBHOOKS, comma-separated)
  --meeting-number <n>       override the scenario's meeting number (env ZOOM_MEETING_NUMBER)
  --meeting-passcode <p>     override the scenario's passcode (env ZOOM_MEETING_PASSCODE)
  --client-id <id>           RTMS app client id (env ZOOM_CLIENT_ID or ZM_CLIENT_ID)
  --client-secret <s>        RTMS app client secret (env ZOOM_CLIENT_SECRET or ZM_CLIENT_SECRET)
  --s2s-client-id <id>       S2S app client id (env S2S_ZOOM_CLIENT_ID or S2S_ZM_CLIENT_ID)
  --s2s-client-secret <s>    S2S app client secret (env S2S_ZOOM_CLIENT_SECRET or S2S_ZM_CLIENT_SECRET)
  --account-id <id>          S2S account id (env ZOOM_ACCOUNT_ID)
  --secret-token <s>         webhook secret token (env ZOOM_SECRET_TOKEN)
  --subscription-id <id>     event WebSocket subscription id (env ZOOM_SIM_SUBSCRIPTION_ID, else the subscriptionId
                             of ZOOM_EVENT_WS_BASE; default sim-subscription)
  --keep-alive-ms <n>        RTMS keep-alive interval (default 10000)
  --video-subscription-delay-ms <n>
                             data_opt 4: from an accepted msg 28 to that participant's first frame
                             (env ZOOM_SIM_VIDEO_SUBSCRIPTION_DELAY_MS; default 300, 0 = at once)
  --no-audio                 never send audio packets
  --log-level <level>        pino level (env LOG_LEVEL; default info)
  -h, --help                 this text

Control routes: GET <controlBase>/health, GET <controlBase>/state, POST <controlBase>/faults {"type":"drop-media"}, see README.md.`;

const optionalText = z.string().min(1).optional();
const envSchema = z.object({
  ZOOM_SIM_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ZOOM_SIM_WEBHOOKS: optionalText,
  ZOOM_SIM_SUBSCRIPTION_ID: optionalText,
  ZOOM_SIM_VIDEO_SUBSCRIPTION_DELAY_MS: z.coerce.number().int().min(0).optional(),
  /** The seed's variable: its subscriptionId is the one clients will present. */
  ZOOM_EVENT_WS_BASE: optionalText,
  ZOOM_MEETING_NUMBER: optionalText,
  ZOOM_MEETING_PASSCODE: z.string().optional(),
  ZOOM_CLIENT_ID: optionalText,
  ZM_CLIENT_ID: optionalText,
  ZOOM_CLIENT_SECRET: optionalText,
  ZM_CLIENT_SECRET: optionalText,
  S2S_ZOOM_CLIENT_ID: optionalText,
  S2S_ZM_CLIENT_ID: optionalText,
  S2S_ZOOM_CLIENT_SECRET: optionalText,
  S2S_ZM_CLIENT_SECRET: optionalText,
  ZOOM_ACCOUNT_ID: optionalText,
  ZOOM_SECRET_TOKEN: optionalText,
  LOG_LEVEL: optionalText,
});

function subscriptionFrom(eventWsBase: string | undefined): string | undefined {
  if (!eventWsBase) return undefined;
  try {
    return new URL(eventWsBase).searchParams.get("subscriptionId") ?? undefined;
  } catch {
    return undefined;
  }
}

function fail(message: string): never {
  process.stderr.write(`zoom-sim: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        scenario: { type: "string" },
        webhook: { type: "string", multiple: true },
        "meeting-number": { type: "string" },
        "meeting-passcode": { type: "string" },
        "client-id": { type: "string" },
        "client-secret": { type: "string" },
        "s2s-client-id": { type: "string" },
        "s2s-client-secret": { type: "string" },
        "account-id": { type: "string" },
        "secret-token": { type: "string" },
        "subscription-id": { type: "string" },
        "keep-alive-ms": { type: "string" },
        "video-subscription-delay-ms": { type: "string" },
        "no-audio": { type: "boolean" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
  const a = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const str = (k: string) => a[k] as string | undefined;
  if (a.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const envResult = envSchema.safeParse(process.env);
  if (!envResult.success) fail(`bad environment: ${z.prettifyError(envResult.error)}`);
  const env = envResult.data;

  const log = pino(
    { level: str("log-level") ?? env.LOG_LEVEL ?? "info", base: { svc: "zoom-sim" } },
    pino.destination(2),
  );
  const portText = str("port");
  const port = portText !== undefined ? Number(portText) : (env.ZOOM_SIM_PORT ?? 9090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got ${portText}`);
  const keepAliveText = str("keep-alive-ms");
  const keepAliveIntervalMs = keepAliveText === undefined ? undefined : Number(keepAliveText);
  if (keepAliveIntervalMs !== undefined && !(keepAliveIntervalMs > 0))
    fail("--keep-alive-ms must be a positive number");
  const videoDelayText = str("video-subscription-delay-ms");
  const videoSubscriptionDelayMs =
    videoDelayText === undefined ? env.ZOOM_SIM_VIDEO_SUBSCRIPTION_DELAY_MS : Number(videoDelayText);
  if (
    videoSubscriptionDelayMs !== undefined &&
    !(Number.isInteger(videoSubscriptionDelayMs) && videoSubscriptionDelayMs >= 0)
  )
    fail("--video-subscription-delay-ms must be a whole number >= 0");

  const scenarioPath = str("scenario");
  const scenario = scenarioPath
    ? await loadScenarioFile(scenarioPath).catch((err: Error) => fail(err.message))
    : undefined;
  const meetingNumber = str("meeting-number") ?? env.ZOOM_MEETING_NUMBER;
  const passcode = str("meeting-passcode") ?? env.ZOOM_MEETING_PASSCODE;
  if (scenario && meetingNumber) scenario.meeting.number = meetingNumber;
  if (scenario && passcode !== undefined) scenario.meeting.passcode = passcode;

  const pick = (flag: string, ...envs: (string | undefined)[]) =>
    str(flag) ?? envs.find((v) => v !== undefined);
  const rtmsId = pick("client-id", env.ZOOM_CLIENT_ID, env.ZM_CLIENT_ID);
  const rtmsSecret = pick("client-secret", env.ZOOM_CLIENT_SECRET, env.ZM_CLIENT_SECRET);
  const s2sId = pick("s2s-client-id", env.S2S_ZOOM_CLIENT_ID, env.S2S_ZM_CLIENT_ID);
  const s2sSecret = pick("s2s-client-secret", env.S2S_ZOOM_CLIENT_SECRET, env.S2S_ZM_CLIENT_SECRET);
  const accountId = pick("account-id", env.ZOOM_ACCOUNT_ID);
  const sim = await startZoomSim({
    host: str("host") ?? "127.0.0.1",
    port,
    logger: log,
    ...(rtmsId && rtmsSecret ? { rtmsApp: { clientId: rtmsId, clientSecret: rtmsSecret } } : {}),
    ...(s2sId && s2sSecret && accountId
      ? { s2s: { accountId, clientId: s2sId, clientSecret: s2sSecret } }
      : {}),
    eventWs: {
      subscriptionId:
        pick("subscription-id", env.ZOOM_SIM_SUBSCRIPTION_ID, subscriptionFrom(env.ZOOM_EVENT_WS_BASE)) ??
        "sim-subscription",
    },
    ...(pick("secret-token", env.ZOOM_SECRET_TOKEN)
      ? { webhookSecretToken: pick("secret-token", env.ZOOM_SECRET_TOKEN) }
      : {}),
    ...(keepAliveIntervalMs ? { keepAliveIntervalMs } : {}),
    ...(videoSubscriptionDelayMs !== undefined ? { videoSubscriptionDelayMs } : {}),
    audio: !a["no-audio"],
  }).catch((err: Error) => fail(`cannot start: ${err.message}`));

  const webhooks = [
    ...((a.webhook as string[] | undefined) ?? []),
    ...(env.ZOOM_SIM_WEBHOOKS?.split(",") ?? []),
  ]
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of webhooks) {
    try {
      new URL(url);
    } catch {
      fail(`--webhook ${url} is not a URL`);
    }
    // The receiver may start after us: keep validating until it answers.
    sim.webhooks.addTargetWhenValid(url);
  }

  const run = scenario ? runScenario(sim, scenario, log) : undefined;
  process.stdout.write(
    `${JSON.stringify({
      urls: sim.urls,
      meeting: run
        ? { number: run.meeting.number, passcode: run.meeting.passcode, uuid: run.meeting.uuid }
        : null,
      rooms: sim.rooms.list().map((r) => ({ id: r.id, name: r.name, status: r.status })),
    })}\n`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down");
    run?.stop();
    await sim.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  if (run) {
    run.done.then(() => log.info("scenario finished; the simulator keeps running until stopped"));
  }
}

await main();
