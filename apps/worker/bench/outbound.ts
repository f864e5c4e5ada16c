// Outbound webhook benchmark (issue 14): N deliveries through the real path (BullMQ job, Postgres row
// read and updated, secret decrypted, HMAC signed, POST) to a receiver on 127.0.0.1, beside a baseline
// in the same run: a plain fetch loop posting the same bodies with the same concurrency.
//   pnpm --filter @capture/worker exec tsx bench/outbound.ts     (needs Postgres and Redis)
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { encryptSecret, generateKeySpec, parseKeyring } from "@capture/db";
import { createTestDatabase } from "@capture/db/testing";
import { redisConnection } from "@capture/jobs";
import { createLogger } from "../src/logger.ts";
import { ENDPOINT_SECRET_CONTEXT } from "../src/outbound/deliver.ts";
import { deliveryJobOptions, startOutboundWebhooks } from "../src/outbound/index.ts";

const N = Number(process.env.BENCH_DELIVERIES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

async function main() {
  const t = await createTestDatabase("outbench");
  let count = 0;
  let onCount: (() => void) | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      count++;
      res.end("ok");
      onCount?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const waitFor = (n: number) =>
    new Promise<void>((resolve) => {
      onCount = () => count >= n && resolve();
      onCount();
    });
  const keyring = parseKeyring(generateKeySpec("b"));
  const out = startOutboundWebhooks({
    db: t.db,
    keyring,
    connection: redisConnection(process.env.REDIS_URL ?? "redis://127.0.0.1:6379"),
    prefix: `outbench-${randomBytes(4).toString("hex")}`,
    log: createLogger("warn"),
    config: {
      allowHosts: ["127.0.0.1"],
      attempts: 3,
      backoffMs: 1000,
      disableAfter: 1000,
      timeoutMs: 10_000,
      scanMs: 0,
      lookbackMs: 60_000,
      concurrency: CONCURRENCY,
    },
  });
  try {
    const team = await t.db.team.create({ data: { name: "Bench", slug: "bench" } });
    const endpoint = await t.db.webhookEndpoint.create({
      data: {
        teamId: team.id,
        url,
        secretEnc: encryptSecret(keyring, "whsec_bench", ENDPOINT_SECRET_CONTEXT),
        validatedAt: new Date(),
      },
    });
    const payload = (i: number) => ({
      id: `evt_${i}`,
      type: "session.ended",
      createdAt: new Date().toISOString(),
      teamId: team.id,
      data: {
        session: {
          id: `s${i}`,
          counts: { participants: 5, frames: 400 },
          coverage: { covered: 4, cameraOn: 5 },
        },
      },
    });

    // Baseline: plain fetch, CONCURRENCY loops, the same bodies, no queue, no database, no signature.
    let next = 0;
    const b0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          const body = JSON.stringify(payload(next++));
          const res = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body,
          });
          await res.text();
        }
      }),
    );
    const baselineSec = (performance.now() - b0) / 1000;
    count = 0;

    const created = await t.db.webhookDelivery.createManyAndReturn({
      data: Array.from({ length: N }, (_, i) => ({
        endpointId: endpoint.id,
        eventId: `evt_${i}`,
        eventType: "session.ended",
        payload: payload(i),
      })),
      select: { id: true },
    });
    const d0 = performance.now();
    await out.queue.addBulk(
      created.map(({ id }) => ({
        name: "deliver",
        data: { deliveryId: id },
        opts: deliveryJobOptions({ attempts: 3, backoffMs: 1000 }, id),
      })),
    );
    await waitFor(N);
    // Received is not recorded: wait until every row says SUCCEEDED.
    while ((await t.db.webhookDelivery.count({ where: { status: "SUCCEEDED" } })) < N) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const deliverSec = (performance.now() - d0) / 1000;
    console.log(`deliveries: ${N}, concurrency ${CONCURRENCY}`);
    console.log(
      `baseline plain fetch loop:   ${(N / baselineSec).toFixed(0)} requests/s (${baselineSec.toFixed(2)} s)`,
    );
    console.log(
      `signed queued deliveries:    ${(N / deliverSec).toFixed(0)} deliveries/s (${deliverSec.toFixed(2)} s)`,
    );
    console.log(
      `the delivery path reaches ${((100 * baselineSec) / deliverSec).toFixed(0)}% of the baseline's rate`,
    );
  } finally {
    await out.close();
    await new Promise((r) => server.close(r));
    await t.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
