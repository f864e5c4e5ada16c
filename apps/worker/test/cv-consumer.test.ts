// The CV hook end to end (issue 14): zoom-sim -> the worker (a child process) -> frame.stored webhooks ->
// examples/cv-consumer (a child process, as a team would run it) -> the signed image URLs, served by the
// portal's real /api/v1 dispatcher (apps/web/bench/api-host.ts, the code the Next route calls, without a
// `next build`). In EVERYONE mode with silent participants: every frame stored in the session appears
// exactly once in the consumer's output with the sha256 of the stored file; every camera-on participant
// gets participant.covered and is listed in frame.stored; the challenge, a resend and bad signatures are
// handled as the README says.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { encryptSecret, parseKeyring } from "@capture/db";
import { challengeAnswer, signedHeaders } from "@capture/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT_SECRET_CONTEXT } from "../src/outbound/deliver.ts";
import {
  expectFilesMatchRows,
  type Harness,
  REDIS_URL,
  startHarness,
  startStream,
  stopAndWait,
  waitUntil,
} from "./support/harness.ts";

const REPO = path.resolve(import.meta.dirname, "../../..");
const WEB_DIR = path.join(REPO, "apps/web");
const CONSUMER_DIR = path.join(REPO, "examples/cv-consumer");

interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  text: string[];
}

/** Spawns a process that logs JSON lines; resolves with it once `ready` matches one of them. */
async function spawnLogged(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  ready: (line: string) => boolean,
): Promise<Child> {
  const proc = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH ?? "", ...env }, stdio: "pipe" });
  const child: Child = { proc, lines: [], text: [] };
  const onLine = (line: string) => {
    child.text.push(line);
    try {
      child.lines.push(JSON.parse(line));
    } catch {}
  };
  createInterface({ input: proc.stdout! }).on("line", onLine);
  createInterface({ input: proc.stderr! }).on("line", onLine);
  await waitUntil(
    () => {
      if (proc.exitCode !== null) throw new Error(`${args.join(" ")} exited:\n${child.text.join("\n")}`);
      return child.text.some(ready);
    },
    60_000,
    () => child.text.slice(-30).join("\n"),
  );
  return child;
}

let h: Harness;
let api: Child;
let consumer: Child;
let consumerUrl: string;
const secret = `whsec_${randomBytes(18).toString("base64url")}`;
let outFile: string;

beforeAll(async () => {
  h = await startHarness("cvconsumer");
  // Inside the harness's folder, so close() removes it; outside every session's own folder.
  outFile = path.join(h.framesDir, "cv-consumer.jsonl");
  api = await spawnLogged(
    path.join(WEB_DIR, "node_modules", ".bin", "tsx"),
    ["bench/api-host.ts"],
    WEB_DIR,
    {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: h.testDb.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      CAPTURE_ENCRYPTION_KEYS: h.env.CAPTURE_ENCRYPTION_KEYS!,
      FRAMES_DIR: h.framesDir,
      NEXTAUTH_SECRET: "cv-consumer-test-secret",
    },
    (l) => l.startsWith("listening "),
  );
  const apiPort = Number(/listening (\d+)/.exec(api.text.find((l) => l.startsWith("listening "))!)![1]);
  consumer = await spawnLogged(
    process.execPath,
    ["--import", "tsx", "src/main.ts"],
    CONSUMER_DIR,
    { CAPTURE_WEBHOOK_SECRET: secret, OUT_FILE: outFile, PORT: "0" },
    (l) => l.includes('"listening"'),
  );
  const port = consumer.lines.find((l) => l.msg === "listening")!.port as number;
  consumerUrl = `http://127.0.0.1:${port}/capture-hooks`;
  await h
    .spawnWorker({
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      OUTBOUND_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
      OUTBOUND_WEBHOOK_SCAN_MS: "300",
      OUTBOUND_WEBHOOK_BACKOFF_MS: "200",
    })
    .ready();
}, 120_000);

afterAll(async () => {
  for (const c of [consumer, api]) c?.proc.kill("SIGTERM");
  await h?.close();
});

/** A signed POST to the consumer, as the worker or the portal sends it. */
const post = (body: string, headers: Record<string, string>) =>
  fetch(consumerUrl, { method: "POST", headers, body });

async function readLines(): Promise<{ frameId: string; sha256: string; [k: string]: unknown }[]> {
  const text = await readFile(outFile, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("examples/cv-consumer against a real worker", () => {
  it("writes every stored frame once, with its sha256, in EVERYONE mode with silent participants", {
    timeout: 180_000,
  }, async () => {
    const db = h.testDb.db;
    const team = await db.team.findUniqueOrThrow({ where: { slug: "demo" } });
    const keyring = parseKeyring(h.env.CAPTURE_ENCRYPTION_KEYS!);
    const endpoint = await db.webhookEndpoint.create({
      data: {
        teamId: team.id,
        url: consumerUrl,
        events: [],
        secretEnc: encryptSecret(keyring, secret, ENDPOINT_SECRET_CONTEXT),
      },
    });

    // The portal's "Validate": a signed endpoint.url_validation; the consumer must prove it has the secret.
    const plainToken = randomBytes(16).toString("base64url");
    const challenge = JSON.stringify({
      id: "evt_validation_1",
      event: "endpoint.url_validation",
      payload: { plainToken },
      event_ts: Date.now(),
    });
    const answer = await post(
      challenge,
      signedHeaders(secret, challenge, { id: "evt_validation_1", type: "endpoint.url_validation" }),
    );
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ plainToken, encryptedToken: challengeAnswer(secret, plainToken) });
    // Signed with another secret, or too long ago: refused.
    const forged = await post(
      challenge,
      signedHeaders("whsec_other", challenge, { id: "evt_validation_1", type: "endpoint.url_validation" }),
    );
    expect(forged.status).toBe(401);
    const stale = await post(
      challenge,
      signedHeaders(
        secret,
        challenge,
        { id: "evt_validation_1", type: "endpoint.url_validation" },
        Date.now() - 10 * 60_000,
      ),
    );
    expect(stale.status).toBe(401);
    await db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { validatedAt: new Date() } });

    // EVERYONE mode: one person speaks, three never do, one keeps the camera off. Keep every frame, so
    // "every stored frame" is every frame the worker wrote (an evicting policy deletes some again).
    const started = await startStream(h, {
      number: "400000001",
      captureMode: "EVERYONE",
      coverageDwellMs: 1000,
      framePolicy: { kind: "interval", everyMs: 400 },
      participants: [
        { name: "Speaker" },
        { name: "Silent One" },
        { name: "Silent Two" },
        { name: "Silent Three" },
        { name: "Camera Off", camera: false },
      ],
    });
    const cameraOn = ["Speaker", "Silent One", "Silent Two", "Silent Three"];
    started.live.setActiveSpeaker(started.live.participants[0]!.userId);
    const framesByName = async () =>
      new Map(
        (await db.participant.findMany({ where: { sessionId: started.sessionId } })).map((p) => [
          p.name,
          p.frameCount,
        ]),
      );
    await waitUntil(
      async () => {
        const by = await framesByName();
        return cameraOn.every((n) => (by.get(n) ?? 0) >= 2);
      },
      90_000,
      () => h.workers.map((w) => w.describe()).join("\n"),
    );
    expect(await stopAndWait(h, started)).toBe("STOPPED");
    const stored = await expectFilesMatchRows(h, started.sessionId);
    const frames = await db.frame.findMany({
      where: { sessionId: started.sessionId },
      include: { participant: { select: { name: true, zoomUserId: true } } },
    });
    expect(frames.length).toBe(stored);

    // frame.stored goes out once each 10 s window has closed: wait for the consumer to have them all.
    const want = new Set(frames.map((f) => f.id));
    await waitUntil(
      async () => (await readLines()).filter((l) => want.has(l.frameId)).length >= want.size,
      60_000,
      () => `${consumer.text.slice(-20).join("\n")}\n${h.workers.map((w) => w.describe()).join("\n")}`,
    );
    const lines = (await readLines()).filter((l) => l.sessionId === started.sessionId);
    // Exactly once each, and nothing that is not a stored frame.
    expect(lines.map((l) => l.frameId).sort()).toEqual([...want].sort());
    for (const f of frames) {
      const line = lines.find((l) => l.frameId === f.id)!;
      const file = await readFile(path.join(h.framesDir, f.storageKey));
      expect(line.sha256, f.storageKey).toBe(createHash("sha256").update(file).digest("hex"));
      expect(line.sha256).toBe(f.contentHash);
      expect(line).toMatchObject({
        bytes: f.bytes,
        zoomTimestamp: f.zoomTimestamp.toString(),
        participant: { id: f.participantId, name: f.participant.name, zoomUserId: f.participant.zoomUserId },
      });
      // Read from the JPEG header by the consumer; measured by the worker when it checked the image.
      expect(f.width).not.toBeNull();
      expect({ w: line.width, h: line.height }).toEqual({ w: f.width, h: f.height });
    }
    // frame.stored, in EVERYONE mode, listed every camera-on participant, silent ones included.
    const listed = new Set(lines.map((l) => (l.participant as { name: string }).name));
    expect([...listed].sort()).toEqual([...cameraOn].sort());

    // participant.covered: once for each camera-on participant, none for the camera that stayed off.
    const delivered = async (type: string) =>
      db.webhookDelivery.findMany({ where: { endpointId: endpoint.id, eventType: type } });
    await waitUntil(
      async () =>
        (await delivered("participant.covered")).filter((d) => d.status === "SUCCEEDED").length >= 4,
      30_000,
      () => consumer.text.slice(-20).join("\n"),
    );
    const covered = await delivered("participant.covered");
    const coveredNames = covered.map(
      (d) => (d.payload as { data: { participant: { name: string } } }).data.participant.name,
    );
    expect(coveredNames.sort()).toEqual([...cameraOn].sort());
    for (const d of covered) {
      expect(d.payload).toMatchObject({
        type: "participant.covered",
        data: { session: { id: started.sessionId }, captureMode: "EVERYONE" },
      });
    }
    const coveredLogged = consumer.lines.filter((l) => l.msg === "event" && l.type === "participant.covered");
    expect(coveredLogged.map((l) => l.eventId).sort()).toEqual(covered.map((d) => d.eventId).sort());

    // "Resend": the same body and event id, signed afresh. The consumer recognises it and writes nothing.
    // (frame.stored goes out once its 10 s window has closed: it may still be on its way.)
    await waitUntil(
      async () => (await delivered("frame.stored")).some((d) => d.status === "SUCCEEDED"),
      30_000,
      () => consumer.text.slice(-20).join("\n"),
    );
    const sent = (await delivered("frame.stored")).find((d) => d.status === "SUCCEEDED")!;
    const body = JSON.stringify(sent.payload);
    const before = (await readLines()).length;
    const again = await post(body, signedHeaders(secret, body, { id: sent.eventId, type: "frame.stored" }));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect((await readLines()).length).toBe(before);
    // A body changed after signing is refused.
    const tampered = await post(
      body.replace(started.sessionId, "someone-else"),
      signedHeaders(secret, body, { id: sent.eventId, type: "frame.stored" }),
    );
    expect(tampered.status).toBe(401);
  });
});
