// One capture session: an RTMS stream + the meeting's frame policy + the frame store + the batched
// database writer. Lives as long as the stream (or until this worker releases it to another one).
//
// Frame path: metadata -> policy (no decoding) -> decode kept frames -> store file -> buffered row.
// Store writes run concurrently; an eviction waits for the write of the frame it evicts.
import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { readdir, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import type { CaptureSession, Db, SessionEventType, SessionState } from "@capture/db";
import type { CaptureControl, CaptureJob } from "@capture/jobs";
import {
  createFrameDecider,
  type FrameDecider,
  type FramePolicy,
  type FrameRef,
  type FrameStore,
  LocalDiskFrameStore,
  parseFramePolicy,
} from "@capture/rtms-core/frames";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ZoomApps } from "../zoom-apps.ts";
import type { ControlBus } from "./control-bus.ts";
import type { FrameWriter } from "./frame-writer.ts";
import type {
  OpenStreamSession,
  StreamFrame,
  StreamHandlers,
  StreamParticipant,
  StreamSession,
  StreamStopped,
} from "./stream.ts";

export interface CaptureDeps {
  db: Db;
  store: FrameStore;
  writer: FrameWriter;
  zoomApps: ZoomApps;
  controlBus: ControlBus;
  metrics: Metrics;
  log: Logger;
  workerId: string;
  openStream: OpenStreamSession;
  /** Worker-wide bound on frame bytes waiting for the store (all sessions together). */
  backlog: StoreBacklog;
  /** Called once per session when media first flows: ask the meeting's rooms to join. */
  onMediaReady: (session: CaptureSession) => Promise<void>;
}

/** Bytes of kept frames not yet written, across every session of the worker: memory stays bounded. */
export class StoreBacklog {
  bytes = 0;
  constructor(readonly limitBytes: number) {}

  tryTake(n: number): boolean {
    if (this.bytes + n > this.limitBytes) return false;
    this.bytes += n;
    return true;
  }

  give(n: number) {
    this.bytes -= n;
  }
}

export type RunResult =
  | { outcome: "stopped"; stopReason?: number; stopReasonText: string }
  | { outcome: "released" }
  | { outcome: "already-ended" };

/** Stop reasons that mean something broke (vs. the meeting or a person ending it). */
const FAILURE_REASONS = new Set([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 24]);
const STREAM_REVOKED = 8;
/** Kept frames waiting for the store, per session: 5 s of video at 5 fps. Bounds memory per stream. */
const MAX_FRAMES_IN_FLIGHT = 25;

export class CaptureSessionRunner {
  readonly #deps: CaptureDeps;
  readonly #job: CaptureJob;
  readonly #log: Logger;
  #row!: CaptureSession;
  #stream?: StreamSession;
  #decider!: FrameDecider;
  #policy!: FramePolicy;
  /** Storage keys of kept frames, only for policies that evict (the seed policy). */
  readonly #keys = new Map<string, string>();
  /** First name seen per user id: a participant's folder does not move if Zoom renames them. */
  readonly #names = new Map<string, string>();
  /** Team rooms by lowercase name, to recognise a Zoom Room when it joins. */
  #rooms = new Map<string, string>();
  readonly #roomParticipants = new Set<string>();
  /** Store writes in flight, by frame: an eviction waits for the write of the frame it evicts. */
  readonly #writes = new Map<string, Promise<void>>();
  #backlogDrops = 0;
  #reconnectCount = 0;
  #mediaReadyOnce = false;
  #finish!: (result: RunResult) => void;
  readonly #done = new Promise<RunResult>((resolve) => {
    this.#finish = resolve;
  });
  #ending = false;

  constructor(deps: CaptureDeps, job: CaptureJob) {
    this.#deps = deps;
    this.#job = job;
    this.#log = deps.log.child({ rtmsStreamId: job.rtmsStreamId });
  }

  get sessionId() {
    return this.#row?.id;
  }

  /** Runs until the stream ends or the worker releases it. */
  async run(): Promise<RunResult> {
    const { db, metrics } = this.#deps;
    const existing = await db.captureSession.findUnique({ where: { rtmsStreamId: this.#job.rtmsStreamId } });
    if (existing && (existing.state === "STOPPED" || existing.state === "FAILED")) {
      this.#log.info({ state: existing.state }, "stream already ended; nothing to capture");
      return { outcome: "already-ended" };
    }
    const resumed = existing !== null && existing.state !== "PENDING";
    this.#row = await db.captureSession.upsert({
      where: { rtmsStreamId: this.#job.rtmsStreamId },
      create: {
        teamId: this.#job.teamId,
        meetingId: this.#job.meetingId,
        rtmsStreamId: this.#job.rtmsStreamId,
        meetingUuid: this.#job.meetingUuid,
        operatorId: this.#job.operatorId,
        serverUrls: this.#job.serverUrls,
        state: "CONNECTING",
        workerId: this.#deps.workerId,
      },
      update: {
        serverUrls: this.#job.serverUrls,
        state: "CONNECTING",
        workerId: this.#deps.workerId,
        ...(resumed ? { reconnectCount: { increment: 1 } } : {}),
      },
    });
    this.#reconnectCount = this.#row.reconnectCount;
    if (resumed) {
      metrics.reconnects.inc({ cause: "worker_takeover" });
      this.#event("RECONNECT", undefined, { cause: "worker_takeover", workerId: this.#deps.workerId });
    }
    await this.#loadPolicy(resumed);
    await this.#loadRooms();

    const credentials = await this.#deps.zoomApps.rtmsCredentials(this.#job.teamId);
    const stream = this.#deps.openStream(
      {
        ...credentials,
        meetingUuid: this.#job.meetingUuid,
        rtmsStreamId: this.#job.rtmsStreamId,
        serverUrls: this.#job.serverUrls,
        log: this.#log,
      },
      this.#handlers(),
    );
    this.#stream = stream;
    const unsubscribe = await this.#deps.controlBus.subscribe(this.#job.rtmsStreamId, (m) =>
      this.#control(m),
    );
    metrics.activeSessions.inc();
    try {
      if (this.#ending) {
        // Released (shutdown) while setting up: leave the stream for the next worker.
        await unsubscribe();
        return this.#done;
      }
      await stream.start();
      this.#log.info(
        { sessionId: this.#row.id, resumed, policy: this.#policy.kind },
        "capture session started",
      );
      const result = await this.#done;
      await this.#settled();
      return result;
    } finally {
      metrics.activeSessions.dec();
      await unsubscribe();
    }
  }

  /** Hands the stream to another worker: sockets closed, Zoom NOT told to stop (no msg 21). */
  async release() {
    if (this.#ending) return this.#done;
    this.#ending = true;
    await this.#stream?.close({ closeStream: false }).catch((err) => this.#log.warn({ err }, "close failed"));
    await this.#settled();
    if (this.#row) {
      this.#deps.writer.patchSession(this.#row.id, { state: "RECONNECTING", workerId: null });
      this.#event("STREAM_STATE", undefined, { released: true, by: this.#deps.workerId });
    }
    this.#log.info("capture session released for another worker");
    this.#finish({ outcome: "released" });
    return this.#done;
  }

  async #loadPolicy(resumed: boolean) {
    const meeting = this.#row.meetingId
      ? await this.#deps.db.meeting.findUnique({ where: { id: this.#row.meetingId } })
      : null;
    const parsed = parseFramePolicy(meeting?.framePolicy ?? null);
    if (!parsed.ok)
      this.#log.warn({ message: parsed.message }, "meeting frame policy invalid; using the seed default");
    this.#policy = parsed.ok ? parsed.policy : { kind: "seed", skipFirst: 3, keepNewest: 3 };
    this.#decider = createFrameDecider(this.#policy);
    if (resumed) await this.#resume();
  }

  /**
   * A resumed session continues where the last worker left it: participant names (so folders do not
   * move), files the dead worker wrote but never recorded (recovered as rows, or deleted when they cannot
   * be attributed), and the policy's state, by feeding the stored frames back so "keep the newest 3"
   * still means 3 and warm-up is not repeated. Whatever the policy no longer wants is evicted.
   */
  async #resume() {
    const { db } = this.#deps;
    const participants = await db.participant.findMany({ where: { sessionId: this.#row.id } });
    for (const p of participants) this.#names.set(p.zoomUserId, p.name);
    await this.#recoverUnrecordedFiles(participants);
    const frames = await db.frame.findMany({
      where: { sessionId: this.#row.id },
      orderBy: { zoomTimestamp: "asc" },
      select: {
        zoomTimestamp: true,
        storageKey: true,
        bytes: true,
        participant: { select: { zoomUserId: true } },
      },
    });
    const warmed = new Set<string>();
    for (const f of frames) {
      const participantKey = f.participant.zoomUserId;
      const timestamp = Number(f.zoomTimestamp);
      if (!warmed.has(participantKey) && this.#policy.kind === "seed") {
        for (let i = 0; i < this.#policy.skipFirst; i++) {
          this.#decider.decide({ participantKey, timestamp: timestamp - 1 - i, base64Length: 0 });
        }
      }
      warmed.add(participantKey);
      const decision = this.#decider.decide({ participantKey, timestamp, length: f.bytes, base64Length: 0 });
      if (!decision.keep) {
        await this.#evict({ participantKey, timestamp }, f.storageKey);
        continue;
      }
      if (this.#policy.kind === "seed") this.#keys.set(refKey({ participantKey, timestamp }), f.storageKey);
      for (const old of decision.evict) await this.#evict(old, this.#keys.get(refKey(old)));
    }
  }

  /** Files on disk without a row: a worker died between writing a file and its batch. Local disk only. */
  async #recoverUnrecordedFiles(participants: { id: string; name: string; zoomUserId: string }[]) {
    const { store, db } = this.#deps;
    if (!(store instanceof LocalDiskFrameStore)) return;
    const keyOf = (name: string, userId: string) =>
      store.storageKeyFor({
        sessionKey: this.#row.id,
        userName: name || "participant",
        userId,
        timestamp: 0,
        format: "jpg",
      });
    const sessionFolder = keyOf("x", "1").split("/")[0]!;
    const byFolder = new Map(participants.map((p) => [keyOf(p.name, p.zoomUserId).split("/")[1]!, p]));
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(store.rootDir, sessionFolder), {
        recursive: true,
        withFileTypes: true,
      });
    } catch {
      return; // no folder yet: nothing was written
    }
    const recorded = new Set(
      (await db.frame.findMany({ where: { sessionId: this.#row.id }, select: { storageKey: true } })).map(
        (f) => f.storageKey,
      ),
    );
    const rows = [];
    let deleted = 0;
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const folder = path.basename(entry.parentPath);
      const key = `${sessionFolder}/${folder}/${entry.name}`;
      if (recorded.has(key)) continue;
      const match = /^(\d+)\.(jpg|png)$/.exec(entry.name);
      const participant = byFolder.get(folder);
      if (!match || !participant) {
        // A temp file of an interrupted write, or a frame of a participant never recorded.
        await unlink(path.join(entry.parentPath, entry.name)).catch(() => {});
        deleted++;
        continue;
      }
      const bytes = await readFile(path.join(entry.parentPath, entry.name));
      rows.push({
        sessionId: this.#row.id,
        participantId: participant.id,
        zoomTimestamp: BigInt(match[1]!),
        storageKey: key,
        bytes: bytes.byteLength,
        contentType: match[2] === "png" ? "image/png" : "image/jpeg",
        contentHash: createHash("sha256").update(bytes).digest("hex"),
      });
    }
    if (rows.length > 0) await db.frame.createMany({ data: rows, skipDuplicates: true });
    if (rows.length + deleted > 0) {
      this.#log.warn(
        { recovered: rows.length, deleted },
        "files left without rows by the previous worker reconciled",
      );
    }
  }

  async #evict(ref: FrameRef, storageKey: string | undefined) {
    const { store, writer, metrics } = this.#deps;
    this.#keys.delete(refKey(ref));
    writer.evictFrame({
      sessionId: this.#row.id,
      zoomUserId: ref.participantKey,
      zoomTimestamp: ref.timestamp,
    });
    metrics.framesEvicted.inc();
    if (storageKey)
      await store
        .delete(storageKey)
        .catch((err) => this.#log.warn({ err, storageKey }, "could not delete an evicted frame"));
  }

  #handlers(): StreamHandlers {
    const { metrics } = this.#deps;
    return {
      frame: (frame) => this.#onFrame(frame),
      participantJoin: (ps) => {
        for (const p of ps) {
          this.#touchParticipant(p);
          this.#event("PARTICIPANT_JOIN", p.userId, { name: p.userName });
        }
      },
      participantLeave: (ps) => {
        for (const p of ps) this.#event("PARTICIPANT_LEAVE", p.userId);
      },
      activeSpeaker: (p) => {
        this.#touchParticipant(p);
        this.#event("ACTIVE_SPEAKER", p.userId, { name: p.userName });
      },
      videoOn: (ps) => {
        for (const p of ps) this.#event("VIDEO_ON", p.userId);
      },
      videoOff: (ps) => {
        for (const p of ps) this.#event("VIDEO_OFF", p.userId);
      },
      streamState: (state, reason) => this.#event("STREAM_STATE", undefined, { state, reason }),
      sessionState: (state, reason) => {
        this.#event("SESSION_STATE", undefined, { state, reason });
        if (state === 3) this.#state("PAUSED");
        if (state === 4) this.#state("ACTIVE");
      },
      mediaReady: () => {
        this.#state("ACTIVE");
        if (this.#mediaReadyOnce) return;
        this.#mediaReadyOnce = true;
        void this.#deps
          .onMediaReady(this.#row)
          // Queuing the joins may have synced the team's rooms for the first time: reload the names so
          // the rooms are recognised when they appear (that recognition is what confirms a join).
          .then(() => this.#loadRooms())
          .catch((err) => this.#log.error({ err }, "could not queue the meeting's room joins"));
      },
      reconnecting: (cause) => {
        metrics.reconnects.inc({ cause });
        this.#reconnectCount++;
        this.#deps.writer.patchSession(this.#row.id, {
          state: "RECONNECTING",
          reconnectCount: this.#reconnectCount,
        });
        this.#event("RECONNECT", undefined, { cause });
      },
      reconnected: (cause) => {
        this.#log.info({ cause }, "stream reconnected");
        this.#state("ACTIVE");
      },
      keepAlive: (latencyMs, timestamp) => {
        metrics.keepAliveLatency.observe(latencyMs / 1000);
        const age = Date.now() - timestamp;
        if (age >= 0 && age < 60_000) metrics.keepAliveAge.observe(age / 1000);
      },
      stopped: (stop) => {
        // Our own close (release) also ends in "stopped": that is not the end of the stream.
        if (stop.source !== "closed") void this.#stopped(stop);
      },
    };
  }

  #control(message: CaptureControl) {
    this.#log.info({ type: message.type }, "capture control message");
    if (message.type === "failover") {
      this.#deps.writer.patchSession(this.#row.id, { serverUrls: message.serverUrls });
      this.#event("FAILOVER", undefined, { eventTs: message.eventTs });
      this.#stream?.failover(message.serverUrls);
    } else if (message.type === "interrupted") {
      this.#stream?.interrupted();
    } else {
      this.#stream?.markStopped(message.stopReason);
    }
  }

  async #stopped(stop: StreamStopped) {
    if (this.#ending) return;
    this.#ending = true;
    const { writer, store } = this.#deps;
    await this.#stream?.close({ closeStream: false }).catch(() => {});
    await this.#settled();
    // Zoom ending the stream normally (meeting ended, host stopped it...) is STOPPED; a broken stream,
    // a refused handshake or reconnection given up is FAILED.
    const failed =
      stop.source === "gave_up" ||
      stop.source === "handshake" ||
      (stop.reason !== undefined && FAILURE_REASONS.has(stop.reason));
    if (stop.reason === STREAM_REVOKED) {
      // Zoom's rule for a revoked stream: what was captured must go, files and rows.
      writer.purgeSession(this.#row.id);
      this.#keys.clear();
      await store.deleteSession(this.#row.id);
      this.#log.warn({ sessionId: this.#row.id }, "stream revoked: its frames were deleted");
    }
    writer.patchSession(this.#row.id, {
      state: failed ? "FAILED" : "STOPPED",
      stopReason: stop.reason,
      stopReasonText: stop.reasonText,
      endedAt: new Date(),
    });
    this.#event("STOPPED", undefined, {
      reason: stop.reason,
      reasonText: stop.reasonText,
      terminal: stop.terminal,
    });
    this.#log.info({ reason: stop.reason, reasonText: stop.reasonText }, "capture session stopped");
    this.#finish({ outcome: "stopped", stopReason: stop.reason, stopReasonText: stop.reasonText });
  }

  #onFrame(frame: StreamFrame) {
    const { metrics } = this.#deps;
    metrics.framesOffered.inc();
    if (this.#ending) return;
    // Base64 text plus its decoded bytes stay in memory until the file is written.
    const cost = frame.data.length * 2;
    if (this.#writes.size >= MAX_FRAMES_IN_FLIGHT || !this.#deps.backlog.tryTake(cost)) {
      // The disk (or this process) is slower than the stream: refuse more rather than hold every frame in
      // memory and starve the keep-alives. Counted and logged, never silent.
      metrics.framesDropped.inc({ reason: "backlog" });
      if (this.#backlogDrops++ % 100 === 0) {
        this.#log.warn(
          { dropped: this.#backlogDrops, inFlight: this.#writes.size },
          "frame store backlog: frames dropped",
        );
      }
      return;
    }
    const participantKey = frame.userId;
    const decision = this.#decider.decide({
      participantKey,
      timestamp: frame.timestamp,
      length: frame.length,
      base64Length: frame.data.length,
      data: this.#policy.dropDuplicates ? frame.data : undefined,
    });
    if (!decision.keep) {
      this.#deps.backlog.give(cost);
      metrics.framesDropped.inc({ reason: "policy" });
      return;
    }
    metrics.framesKept.inc();
    const receivedAt = performance.now();
    // Writes run concurrently (a serial chain would be as slow as the sum of its awaits under load).
    const ref = refKey({ participantKey, timestamp: frame.timestamp });
    const write = this.#storeFrame(frame, decision.evict, receivedAt).finally(() => {
      this.#writes.delete(ref);
      this.#deps.backlog.give(cost);
    });
    this.#writes.set(ref, write);
  }

  async #storeFrame(frame: StreamFrame, evict: FrameRef[], receivedAt: number) {
    const { store, writer, metrics } = this.#deps;
    const userName = this.#nameFor(frame);
    const ref = { participantKey: frame.userId, timestamp: frame.timestamp };
    const bytes = Buffer.from(frame.data, "base64");
    const format = frame.data.startsWith("iVBORw0KGgo") ? "png" : "jpg";
    let storageKey: string;
    try {
      ({ storageKey } = await store.put(
        { sessionKey: this.#row.id, userName, userId: frame.userId, timestamp: frame.timestamp, format },
        bytes,
      ));
    } catch (err) {
      this.#decider.discard(ref, evict);
      metrics.framesDropped.inc({ reason: "store_error" });
      this.#log.error(
        { err, userId: frame.userId, timestamp: frame.timestamp },
        "frame store write failed; frame dropped",
      );
      return;
    }
    if (this.#policy.kind === "seed") this.#keys.set(refKey(ref), storageKey);
    const roomId = this.#roomFor({ userId: frame.userId, userName: frame.userName });
    if (roomId) this.#touchParticipant({ userId: frame.userId, userName: frame.userName });
    writer.addFrame({
      sessionId: this.#row.id,
      zoomUserId: frame.userId,
      userName,
      zoomTimestamp: frame.timestamp,
      storageKey,
      bytes: bytes.byteLength,
      contentType: format === "png" ? "image/png" : "image/jpeg",
      contentHash: createHash("sha256").update(bytes).digest("hex"),
      receivedAt,
    });
    for (const old of evict) {
      await this.#writes.get(refKey(old)); // never delete a file before it has been written
      await this.#evict(old, this.#keys.get(refKey(old)));
    }
  }

  async #settled() {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes.values()]);
  }

  #nameFor(p: StreamParticipant) {
    let name = this.#names.get(p.userId);
    if (name === undefined) {
      name = dbText(p.userName ?? "");
      this.#names.set(p.userId, name);
    }
    return name || "participant";
  }

  /** The team's rooms by name; participants already seen under a room's name are recorded as that room. */
  async #loadRooms() {
    const rooms = await this.#deps.db.zoomRoom.findMany({
      where: { teamId: this.#job.teamId },
      select: { id: true, name: true },
    });
    this.#rooms = new Map(rooms.map((r) => [r.name.trim().toLowerCase(), r.id]));
    for (const [userId, userName] of this.#names) {
      if (!this.#roomParticipants.has(userId) && this.#roomFor({ userId, userName })) {
        this.#touchParticipant({ userId, userName });
      }
    }
  }

  #roomFor(p: StreamParticipant): string | undefined {
    const name = p.userName ?? this.#names.get(p.userId);
    return name ? this.#rooms.get(name.trim().toLowerCase()) : undefined;
  }

  /** Records the participant; a Zoom Room is recognised by name, which is what confirms its join. */
  #touchParticipant(p: StreamParticipant) {
    const name = this.#nameFor(p);
    const roomId = this.#roomFor(p);
    if (roomId && !this.#roomParticipants.has(p.userId)) {
      this.#roomParticipants.add(p.userId);
      this.#log.info({ roomId, userId: p.userId }, "a Zoom Room joined the stream");
    }
    this.#deps.writer.participant({ sessionId: this.#row.id, zoomUserId: p.userId, name, roomId });
  }

  #state(state: SessionState) {
    this.#deps.writer.patchSession(this.#row.id, { state, workerId: this.#deps.workerId });
  }

  #event(type: SessionEventType, zoomUserId?: string, data?: Record<string, unknown>) {
    const clean = data
      ? JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "string" ? dbText(v) : v)))
      : undefined;
    this.#deps.writer.event({ sessionId: this.#row.id, type, zoomUserId, data: clean });
  }
}

/**
 * Postgres text and jsonb cannot hold NUL: a participant named "a\u0000b" would otherwise make every
 * batch that carries it fail forever.
 */
function dbText(text: string) {
  return text.replaceAll("\u0000", "");
}

function refKey(ref: FrameRef) {
  return `${ref.participantKey}\u0000${ref.timestamp}`;
}
