// One capture session: an RTMS stream, the meeting's frame policy and capture mode, and the pieces that
// own each concern (session row, participants, rooms, frame pipeline, coverage). Lives as long as the
// stream, or until this worker releases it to another one. The runner only wires events to owners.
import type { CaptureMode, CaptureSession, Db } from "@capture/db";
import type { CaptureControl, CaptureJob } from "@capture/jobs";
import {
  createFrameDecider,
  type FramePolicy,
  type FrameStore,
  parseFramePolicy,
} from "@capture/rtms-core/frames";
import { isAbnormalStopReason, StopReason } from "@capture/rtms-core/protocol";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ZoomApps } from "../zoom-apps.ts";
import type { ControlBus } from "./control-bus.ts";
import { SessionCoverage } from "./coverage.ts";
import { FramePipeline, type StoreBacklog } from "./frame-pipeline.ts";
import type { FrameWriter } from "./frame-writer.ts";
import type { LoadShedder } from "./load-shedder.ts";
import { SessionParticipants } from "./participants.ts";
import { resumeSession } from "./resume.ts";
import { verifyRevokedPurge } from "./revoked-purge.ts";
import { RoomMatcher } from "./room-matcher.ts";
import { SessionRecord } from "./session-record.ts";
import type { StorageGate } from "./storage-guard.ts";
import type { OpenStreamSession, StreamHandlers, StreamSession, StreamStopped } from "./stream.ts";

export { StoreBacklog } from "./frame-pipeline.ts";

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
  /** Hosts a stream may dial (RTMS_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  /** Worker-wide bound on frame bytes not yet written (all sessions together). */
  backlog: StoreBacklog;
  /** How long a keep-newest policy holds a candidate before writing it (FRAME_HOLD_MS). */
  frameHoldMs: number;
  /** How often a participant whose frames were written before has them replaced (FRAME_REFRESH_MS). */
  frameRefreshMs?: number;
  /** Called once per session when media first flows: ask the meeting's rooms to join. */
  onMediaReady: (session: CaptureSession) => Promise<void>;
  /** Longest a session may run, from its first start (MAX_SESSION_HOURS); then it is closed. */
  maxSessionMs?: number;
  /** Team storage quota and the local store's low-disk guard (storage-guard.ts). */
  storage?: StorageGate;
  /** Thins keep-all and interval frames when the event loop is near full (SHED_LOOP_BUSY). */
  shedder?: LoadShedder;
}

export type RunResult =
  | { outcome: "stopped"; stopReason?: number; stopReasonText: string }
  | { outcome: "released" }
  | { outcome: "already-ended" };

const SEED_POLICY: FramePolicy = { kind: "seed", skipFirst: 3, keepNewest: 3 };
const DEFAULT_DWELL_MS = 2_000;

interface MeetingSettings {
  policy: FramePolicy;
  captureMode: CaptureMode;
  dwellMs: number;
}

export class CaptureSessionRunner {
  readonly #deps: CaptureDeps;
  readonly #job: CaptureJob;
  readonly #log: Logger;
  readonly #rooms = new RoomMatcher();
  #record?: SessionRecord;
  #participants!: SessionParticipants;
  #pipeline!: FramePipeline;
  #coverage!: SessionCoverage;
  #stream?: StreamSession;
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
    return this.#record?.id;
  }

  /** Runs until the stream ends or the worker releases it. */
  async run(): Promise<RunResult> {
    const { db, metrics, writer } = this.#deps;
    const settings = await this.#meetingSettings();
    const opened = await SessionRecord.open({
      db,
      job: this.#job,
      writer,
      workerId: this.#deps.workerId,
      captureMode: settings.captureMode,
    });
    if (opened.kind === "already-ended") {
      this.#log.info({ state: opened.state }, "stream already ended; nothing to capture");
      return { outcome: "already-ended" };
    }
    const { record, resumed } = opened;
    this.#record = record;
    this.#reconnectCount = record.row.reconnectCount;
    // A resumed session keeps the mode it started with, whatever the meeting says now.
    const captureMode = record.row.captureMode;
    this.#assemble(record.id, settings, captureMode);
    if (resumed) {
      metrics.reconnects.inc({ cause: "worker_takeover" });
      record.event("RECONNECT", undefined, { cause: "worker_takeover", workerId: this.#deps.workerId });
      await this.#resume();
    }
    await this.#rooms.load(db, this.#job.teamId);

    const credentials = await this.#deps.zoomApps.rtmsCredentials(this.#job.teamId);
    const stream = this.#deps.openStream(
      {
        ...credentials,
        meetingUuid: this.#job.meetingUuid,
        rtmsStreamId: this.#job.rtmsStreamId,
        serverUrls: this.#job.serverUrls,
        captureMode,
        allowedHosts: this.#deps.allowedHosts,
        log: this.#log,
      },
      this.#handlers(),
    );
    this.#stream = stream;
    const unsubscribe = await this.#deps.controlBus.subscribe(this.#job, (m) => this.#control(m));
    metrics.activeSessions.inc();
    let maxLength: NodeJS.Timeout | undefined;
    try {
      if (this.#ending) {
        // Released (shutdown) while setting up: leave the stream for the next worker.
        await unsubscribe();
        return this.#done;
      }
      await stream.start();
      maxLength = this.#armMaxLength(record.row.startedAt);
      this.#coverage.start();
      this.#log.info(
        { sessionId: record.id, resumed, policy: this.#pipeline.policy.kind, captureMode },
        "capture session started",
      );
      const result = await this.#done;
      await this.#pipeline.settled();
      return result;
    } finally {
      clearTimeout(maxLength);
      this.#coverage.stop();
      metrics.activeSessions.dec();
      await unsubscribe();
    }
  }

  /** Hands the stream to another worker: sockets closed, Zoom NOT told to stop (no msg 21). */
  async release() {
    if (this.#ending) return this.#done;
    this.#ending = true;
    this.#coverage?.stop();
    this.#pipeline?.close();
    await this.#stream?.close({ closeStream: false }).catch((err) => this.#log.warn({ err }, "close failed"));
    await this.#pipeline?.settled();
    if (this.#record) {
      this.#record.patch({ state: "RECONNECTING", workerId: null });
      this.#record.event("STREAM_STATE", undefined, { released: true, by: this.#deps.workerId });
    }
    this.#log.info("capture session released for another worker");
    this.#finish({ outcome: "released" });
    return this.#done;
  }

  // ---- maximum session length (issue 9, limits; owned by the trust-boundaries work) ----

  /** A stream Zoom never ends (or a server that ignores our stop) still ends here, marked with why. */
  #armMaxLength(startedAt: Date): NodeJS.Timeout | undefined {
    const maxMs = this.#deps.maxSessionMs;
    if (!maxMs) return undefined;
    const leftMs = Math.max(0, startedAt.getTime() + maxMs - Date.now());
    const timer = setTimeout(() => void this.#endAtMaxLength(maxMs), Math.min(leftMs, 2 ** 31 - 1));
    timer.unref();
    return timer;
  }

  async #endAtMaxLength(maxMs: number) {
    if (this.#ending) return;
    const hours = Math.round((maxMs / 3_600_000) * 1000) / 1000;
    this.#log.warn({ maxSessionHours: hours }, "session reached its maximum length: closing the stream");
    this.#deps.metrics.streamsDisconnected.inc({ reason: "max_length" });
    // Zoom is asked to end the stream (msg 21); our own close is reported as "closed" and ignored, so
    // the stop is recorded here, with why.
    await this.#stream?.close({ closeStream: true }).catch(() => {});
    await this.#stopped({
      reasonText: `MAX_SESSION_LENGTH: closed after ${hours} h (MAX_SESSION_HOURS)`,
      terminal: true,
      source: "limit",
    });
  }

  async #meetingSettings(): Promise<MeetingSettings> {
    const meeting = this.#job.meetingId
      ? await this.#deps.db.meeting.findUnique({ where: { id: this.#job.meetingId } })
      : null;
    const parsed = parseFramePolicy(meeting?.framePolicy ?? null);
    if (!parsed.ok)
      this.#log.warn({ message: parsed.message }, "meeting frame policy invalid; using the seed default");
    return {
      policy: parsed.ok ? parsed.policy : SEED_POLICY,
      // A stream with no registered meeting is captured as the seed sample does: the active speaker.
      captureMode: meeting?.captureMode ?? "SPEAKER",
      dwellMs: meeting?.coverageDwellMs ?? DEFAULT_DWELL_MS,
    };
  }

  /** Builds the owners of each concern for this session. */
  #assemble(sessionId: string, settings: MeetingSettings, captureMode: CaptureMode) {
    const { store, writer, metrics, backlog } = this.#deps;
    const log = this.#log;
    this.#participants = new SessionParticipants({ sessionId, writer, rooms: this.#rooms, log });
    const decider = createFrameDecider(settings.policy);
    this.#coverage = new SessionCoverage({
      sessionId,
      mode: captureMode,
      dwellMs: settings.dwellMs,
      policy: settings.policy,
      subscribe: (userId) =>
        this.#stream
          ? this.#stream.subscribeVideo(userId)
          : Promise.resolve({ ok: false, kind: "unavailable", message: "stream not open yet" }),
      turnStarted: (userId) => decider.restartWarmup(userId),
      metrics,
      log,
    });
    this.#pipeline = new FramePipeline(
      {
        store,
        writer,
        metrics,
        log,
        backlog,
        holdMs: this.#deps.frameHoldMs,
        refreshMs: this.#deps.frameRefreshMs,
        storage: this.#deps.storage,
        shedder: this.#deps.shedder,
      },
      {
        sessionId,
        teamId: this.#job.teamId,
        decider,
        participants: this.#participants,
        hooks: {
          kept: (userId) => this.#coverage.kept(userId),
          stored: (userId) => this.#coverage.stored(userId),
          evicted: (userId, n) => this.#coverage.evicted(userId, n),
        },
      },
    );
  }

  async #resume() {
    const { db, store } = this.#deps;
    const { participants, keptFrames } = await resumeSession(
      { db, store, log: this.#log },
      this.#record!.id,
      this.#pipeline,
    );
    this.#participants.restore(participants);
    this.#coverage.restore(
      participants.map((p) => ({
        userId: p.zoomUserId,
        videoOn: p.videoOn,
        everOn: p.firstVideoOnAt !== null,
        keptFrames: keptFrames.get(p.zoomUserId) ?? 0,
      })),
    );
  }

  #handlers(): StreamHandlers {
    const { metrics } = this.#deps;
    const record = this.#record!;
    return {
      frame: (frame) => this.#pipeline.offer(frame),
      participantJoin: (ps) => {
        for (const p of ps) {
          this.#participants.touch(p);
          record.event("PARTICIPANT_JOIN", p.userId, { name: p.userName });
        }
      },
      participantLeave: (ps) => {
        for (const p of ps) {
          this.#participants.videoOff(p);
          this.#coverage.left(p.userId);
          record.event("PARTICIPANT_LEAVE", p.userId);
        }
      },
      activeSpeaker: (p) => {
        this.#participants.touch(p);
        record.event("ACTIVE_SPEAKER", p.userId, { name: p.userName });
      },
      videoOn: (ps) => {
        for (const p of ps) {
          this.#participants.videoOn(p);
          this.#coverage.videoOn(p.userId);
          record.event("VIDEO_ON", p.userId);
        }
      },
      videoOff: (ps) => {
        for (const p of ps) {
          this.#participants.videoOff(p);
          this.#coverage.videoOff(p.userId);
          record.event("VIDEO_OFF", p.userId);
        }
      },
      streamState: (state, reason) => record.event("STREAM_STATE", undefined, { state, reason }),
      sessionState: (state, reason) => {
        record.event("SESSION_STATE", undefined, { state, reason });
        if (state === 3) record.state("PAUSED");
        if (state === 4) record.state("ACTIVE");
      },
      mediaReady: () => {
        record.state("ACTIVE");
        if (this.#mediaReadyOnce) return;
        this.#mediaReadyOnce = true;
        void this.#deps
          .onMediaReady(record.row)
          // Queuing the joins may have synced the team's rooms for the first time: reload the names so
          // the rooms are recognised when they appear (that recognition is what confirms a join).
          .then(() => this.#rooms.load(this.#deps.db, this.#job.teamId))
          .then(() => this.#participants.rematchRooms())
          .catch((err) => this.#log.error({ err }, "could not queue the meeting's room joins"));
      },
      reconnecting: (cause) => {
        metrics.reconnects.inc({ cause });
        this.#reconnectCount++;
        record.patch({ state: "RECONNECTING", reconnectCount: this.#reconnectCount });
        record.event("RECONNECT", undefined, { cause });
      },
      reconnected: (cause) => {
        this.#log.info({ cause }, "stream reconnected");
        record.state("ACTIVE");
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
      this.#record?.patch({ serverUrls: message.serverUrls });
      this.#record?.event("FAILOVER", undefined, { eventTs: message.eventTs });
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
    const record = this.#record!;
    this.#coverage.stop();
    this.#pipeline.close();
    await this.#stream?.close({ closeStream: false }).catch(() => {});
    await this.#pipeline.settled();
    // Zoom ending the stream normally (meeting ended, host stopped it...) is STOPPED; a broken stream,
    // a refused handshake or reconnection given up is FAILED.
    const failed =
      stop.source === "gave_up" ||
      stop.source === "handshake" ||
      stop.source === "protocol" ||
      (stop.reason !== undefined && isAbnormalStopReason(stop.reason));
    if (stop.reason === StopReason.STOP_BC_STREAM_REVOKED) {
      const purged = await this.#pipeline.purge();
      await verifyRevokedPurge(
        { db: this.#deps.db, store: this.#deps.store, log: this.#log },
        { teamId: this.#job.teamId, sessionId: record.id, purged },
      ).catch((err) => this.#log.error({ err, ...purged }, "could not verify or audit the revoked purge"));
    }
    this.#participants.closeAllCameras();
    record.patch({
      state: failed ? "FAILED" : "STOPPED",
      stopReason: stop.reason,
      stopReasonText: stop.reasonText,
      endedAt: new Date(),
    });
    record.event("STOPPED", undefined, {
      reason: stop.reason,
      reasonText: stop.reasonText,
      terminal: stop.terminal,
    });
    this.#log.info(
      { reason: stop.reason, reasonText: stop.reasonText, coverage: this.#coverage.counts },
      "capture session stopped",
    );
    this.#finish({ outcome: "stopped", stopReason: stop.reason, stopReasonText: stop.reasonText });
  }
}
