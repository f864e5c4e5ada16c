// Batches the rows capture sessions produce (participants, frames, evictions, session events, session
// state) into a few statements per flush, shared by every session of the worker so 500 frames/s cost a
// handful of queries, not 500.
//
// Why events and state ride here too: one retry loop then covers a database outage for everything a
// session writes. Each step is idempotent (createMany skipDuplicates, deleteMany, absolute updates), and
// items leave the buffer only after their step commits, so a failed flush is simply tried again.
//
// The buffer has a byte budget. When the database stays away long enough to exceed it, the OLDEST frames
// are dropped: their files are deleted (no file without a row), and each drop is counted and logged.
//
// One poison row never blocks anyone else (issue 9): a batch that fails with a DATA error (db-errors.ts) is
// split in halves until the rows the database refuses are found; those are quarantined (dropped, a
// frame's file deleted as on overflow, counted in capture_rows_quarantined_total, logged once), the rest
// is written. A participant row that is refused takes its frames with it. A connection error still means
// "keep everything and retry".
import {
  addSessionDrops,
  type Db,
  deleteFrames,
  type FrameInsert,
  insertFrames,
  type Prisma,
  purgeSessionFrames,
  type SessionEventType,
  type SessionState,
} from "@capture/db";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { isDataError, sqlState } from "./db-errors.ts";
import { LogSampler } from "./protocol-guard.ts";
import type { StorageDropReason } from "./storage-guard.ts";

export type QuarantineKind = "participant" | "frame" | "eviction" | "session_patch" | "event";

/** A kept frame waiting for its row: @capture/db's FrameInsert, by Zoom user id until the participant row exists. */
export type FrameRow = Omit<FrameInsert, "participantId"> & {
  zoomUserId: string;
  userName: string;
  /** performance.now() when the frame arrived, for the frame-to-row latency. */
  receivedAt: number;
  /** performance.now() when it became final (= receivedAt unless held), for the final-to-row latency. */
  finalAt: number;
};

export interface SessionPatch {
  state?: SessionState;
  reconnectCount?: number;
  stopReason?: number;
  stopReasonText?: string;
  endedAt?: Date;
  serverUrls?: string;
  workerId?: string | null;
}

interface EventRow {
  sessionId: string;
  type: SessionEventType;
  zoomUserId?: string;
  data?: Prisma.InputJsonValue;
  at: Date;
}

interface FrameRef {
  sessionId: string;
  zoomUserId: string;
  zoomTimestamp: number;
}

/** Camera state as absolute values (latest wins), so a replayed or merged touch is harmless. */
export interface ParticipantCamera {
  videoOn: boolean;
  firstVideoOnAt: Date | null;
  videoOnMs: number;
  videoOnSince: Date | null;
}

interface ParticipantTouch {
  sessionId: string;
  zoomUserId: string;
  name: string;
  roomId?: string;
  camera?: ParticipantCamera;
}

export interface FrameWriterOptions {
  db: Db;
  log: Logger;
  metrics: Metrics;
  budgetBytes: number;
  flushIntervalMs: number;
  /** Largest frame batch per statement. */
  maxBatch?: number;
  /**
   * Frame rows commit without waiting for the WAL fsync when false (FRAME_ROW_COMMIT=async, the default):
   * see insertFrames' `durable`. Other rows (participants, sessions, events) always commit durably.
   */
  durableFrameRows?: boolean;
  /** Called for every frame dropped on overflow: delete its file. */
  onFrameDropped: (frame: FrameRow) => Promise<void> | void;
}

const FRAME_OVERHEAD_BYTES = 320;
const EVENT_OVERHEAD_BYTES = 200;
const RETRY_MAX_MS = 5_000;

const key = (sessionId: string, zoomUserId: string) => `${sessionId}\u0000${zoomUserId}`;
const frameKey = (f: FrameRef) => `${key(f.sessionId, f.zoomUserId)}\u0000${f.zoomTimestamp}`;

export class FrameWriter {
  readonly #o: FrameWriterOptions;
  readonly #maxBatch: number;
  /** Insertion order is age order: overflow drops from the front. */
  #frames = new Map<string, FrameRow>();
  #evictions: FrameRef[] = [];
  /** Revoked sessions whose rows must go, with who waits for the counts. */
  #purges = new Map<string, { resolve: (n: { frames: number; bytes: number }) => void }[]>();
  /** Frames not stored for a storage limit, per session, not yet added to the session row. */
  #drops = new Map<string, { quota: number; lowDisk: number }>();
  #events: EventRow[] = [];
  #participants = new Map<string, ParticipantTouch>();
  #patches = new Map<string, SessionPatch>();
  /** (session, zoom user) -> Participant.id, filled as rows are created. */
  #participantIds = new Map<string, string>();
  #bytes = 0;
  #timer?: NodeJS.Timeout;
  #flushing?: Promise<void>;
  #failures = 0;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  /** (session, zoom user) whose participant row the database refused: their frames cannot be written. */
  readonly #refusedParticipants = new Set<string>();
  readonly #quarantineLog = new LogSampler({ first: 5, every: 1000 });

  constructor(options: FrameWriterOptions) {
    this.#o = options;
    this.#maxBatch = options.maxBatch ?? 2000;
  }

  get bufferedBytes() {
    return this.#bytes;
  }

  get pendingFrames() {
    return this.#frames.size;
  }

  participant(touch: ParticipantTouch) {
    const k = key(touch.sessionId, touch.zoomUserId);
    const prev = this.#participants.get(k);
    // A room match or camera state learned earlier must not be lost to a plain name touch.
    this.#participants.set(k, {
      ...touch,
      roomId: touch.roomId ?? prev?.roomId,
      camera: touch.camera ?? prev?.camera,
    });
    this.#schedule();
  }

  addFrame(frame: FrameRow) {
    if (this.#refusedParticipants.has(key(frame.sessionId, frame.zoomUserId))) {
      this.#quarantineFrame(frame, "participant row refused");
      return;
    }
    this.#frames.set(frameKey(frame), frame);
    this.#bytes += FRAME_OVERHEAD_BYTES + frame.storageKey.length * 2;
    this.#enforceBudget();
    this.#schedule();
  }

  /**
   * The policy evicted a stored frame: never write it if it is still buffered, and delete its row in any
   * case (a replayed frame can be both buffered and already written by an earlier worker).
   */
  evictFrame(ref: FrameRef) {
    const k = frameKey(ref);
    const pending = this.#frames.get(k);
    if (pending) {
      this.#frames.delete(k);
      this.#bytes -= FRAME_OVERHEAD_BYTES + pending.storageKey.length * 2;
    }
    this.#evictions.push(ref);
    this.#schedule();
  }

  event(row: Omit<EventRow, "at"> & { at?: Date }) {
    this.#events.push({ ...row, at: row.at ?? new Date() });
    this.#bytes += EVENT_OVERHEAD_BYTES;
    this.#enforceBudget();
    this.#schedule();
  }

  /** Latest value wins per field: state updates are absolute, so replays are harmless. */
  patchSession(sessionId: string, patch: SessionPatch) {
    this.#patches.set(sessionId, { ...this.#patches.get(sessionId), ...patch });
    this.#schedule();
  }

  /**
   * Stream revoked: forget what is buffered for the session and delete every Frame row it has. Resolves
   * with what the delete removed once it has committed.
   */
  purgeSession(sessionId: string): Promise<{ frames: number; bytes: number }> {
    for (const [k, f] of this.#frames) {
      if (f.sessionId === sessionId) {
        this.#frames.delete(k);
        this.#bytes -= FRAME_OVERHEAD_BYTES + f.storageKey.length * 2;
      }
    }
    this.#evictions = this.#evictions.filter((e) => e.sessionId !== sessionId);
    const done = new Promise<{ frames: number; bytes: number }>((resolve) => {
      const waiting = this.#purges.get(sessionId) ?? [];
      waiting.push({ resolve });
      this.#purges.set(sessionId, waiting);
    });
    this.#schedule();
    return done;
  }

  /** A frame the capture path did not store for a storage limit: counted on its session's row. */
  countDropped(sessionId: string, reason: StorageDropReason, n = 1) {
    const d = this.#drops.get(sessionId) ?? { quota: 0, lowDisk: 0 };
    if (reason === "quota") d.quota += n;
    else d.lowDisk += n;
    this.#drops.set(sessionId, d);
    this.#schedule();
  }

  /** Resolves when everything buffered so far is written (or the writer is closed). */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#hasWork() && Date.now() < deadline) {
      this.#schedule(0);
      await new Promise<void>((resolve) => {
        this.#idleWaiters.push(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
    return !this.#hasWork();
  }

  async close(timeoutMs = 10_000) {
    if (this.#closed) return;
    const drained = await this.drain(timeoutMs);
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#flushing;
    if (!drained) {
      this.#o.log.error(
        { frames: this.#frames.size, events: this.#events.length, bytes: this.#bytes },
        "closing with rows the database never took: their frames are lost",
      );
      this.#o.metrics.framesDropped.inc({ reason: "db_buffer_overflow" }, this.#frames.size);
    }
  }

  #hasFramesOf(sessionId: string): boolean {
    for (const f of this.#frames.values()) if (f.sessionId === sessionId) return true;
    return this.#evictions.some((e) => e.sessionId === sessionId);
  }

  #hasWork() {
    return (
      this.#frames.size > 0 ||
      this.#evictions.length > 0 ||
      this.#events.length > 0 ||
      this.#participants.size > 0 ||
      this.#patches.size > 0 ||
      this.#purges.size > 0 ||
      this.#drops.size > 0
    );
  }

  #schedule(
    delay = this.#failures > 0 ? Math.min(RETRY_MAX_MS, 100 * 2 ** this.#failures) : this.#o.flushIntervalMs,
  ) {
    if (this.#closed || this.#flushing) return;
    if (this.#timer && delay > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const startedAt = performance.now();
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        // Under load, the next flush starts one interval after this one started (at once if this one
        // took longer): every statement has a fixed cost of about a millisecond of CPU, so back-to-back
        // flushes of a few rows each cost more than the rows. After a failure, back off.
        const sinceStart = performance.now() - startedAt;
        if (this.#hasWork())
          this.#schedule(this.#failures > 0 ? undefined : Math.max(0, this.#o.flushIntervalMs - sinceStart));
        else for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }, delay);
  }

  #enforceBudget() {
    let dropped = 0;
    let droppedEvents = 0;
    for (const [k, f] of this.#frames) {
      if (this.#bytes <= this.#o.budgetBytes) break;
      this.#frames.delete(k);
      this.#bytes -= FRAME_OVERHEAD_BYTES + f.storageKey.length * 2;
      dropped++;
      void Promise.resolve(this.#o.onFrameDropped(f)).catch((err) =>
        this.#o.log.error({ err, storageKey: f.storageKey }, "could not delete the file of a dropped frame"),
      );
    }
    while (this.#bytes > this.#o.budgetBytes && this.#events.length > 0) {
      this.#events.shift();
      this.#bytes -= EVENT_OVERHEAD_BYTES;
      droppedEvents++;
    }
    if (dropped + droppedEvents > 0) {
      this.#o.metrics.framesDropped.inc({ reason: "db_buffer_overflow" }, dropped);
      this.#o.log.warn(
        { droppedFrames: dropped, droppedEvents, budgetBytes: this.#o.budgetBytes },
        "database write buffer full: dropped the oldest rows (their files deleted)",
      );
    }
    this.#o.metrics.dbBufferBytes.set(this.#bytes);
  }

  async #flush() {
    const { db, metrics, log } = this.#o;
    try {
      await this.#writeParticipants(db);
      await this.#writeFrames(db, metrics);
      await this.#writeEvictions(db);
      await this.#writePurges(db);
      await this.#writeDrops(db);
      await this.#writePatches(db);
      await this.#writeEvents(db);
      if (this.#failures > 0) log.info({ failures: this.#failures }, "database writes recovered");
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      metrics.dbWriteFailures.inc();
      const level = this.#failures === 1 || this.#failures % 20 === 0 ? "warn" : "debug";
      log[level](
        { err: { message: (err as Error).message }, failures: this.#failures, bufferedBytes: this.#bytes },
        "database write failed; rows stay buffered and will be retried",
      );
    } finally {
      metrics.dbBufferBytes.set(this.#bytes);
    }
  }

  async #writeParticipants(db: Db) {
    const needed = new Map<string, ParticipantTouch>(this.#participants);
    for (const f of this.#frames.values()) {
      const k = key(f.sessionId, f.zoomUserId);
      if (!this.#participantIds.has(k) && !needed.has(k))
        needed.set(k, { sessionId: f.sessionId, zoomUserId: f.zoomUserId, name: f.userName });
    }
    for (const e of this.#evictions) {
      const k = key(e.sessionId, e.zoomUserId);
      if (!this.#participantIds.has(k) && !needed.has(k))
        needed.set(k, { sessionId: e.sessionId, zoomUserId: e.zoomUserId, name: "" });
    }
    if (needed.size === 0) return;
    const touches: ParticipantTouch[] = [];
    await this.#isolate(
      "participant",
      [...needed.values()],
      (batch) =>
        db.participant.createMany({
          data: batch.map((t) => ({
            sessionId: t.sessionId,
            zoomUserId: t.zoomUserId,
            name: t.name,
            roomId: t.roomId,
            ...t.camera,
          })),
          skipDuplicates: true,
        }),
      (written) => touches.push(...written),
      (t, err) => this.#refuseParticipant(t, err),
    );
    if (touches.length === 0) return;
    const rows = await db.participant.findMany({
      where: { OR: touches.map((t) => ({ sessionId: t.sessionId, zoomUserId: t.zoomUserId })) },
      select: { id: true, sessionId: true, zoomUserId: true, roomId: true, name: true },
    });
    for (const r of rows) this.#participantIds.set(key(r.sessionId, r.zoomUserId), r.id);
    // Rows that existed before (a resumed session) learn a room match or a real name here.
    // Camera state is absolute, so it is written for every touch that carries it.
    const updates = rows.filter((r) => {
      const t = needed.get(key(r.sessionId, r.zoomUserId));
      return t && ((t.roomId && r.roomId !== t.roomId) || (t.name && !r.name) || t.camera);
    });
    for (const r of updates) {
      const t = needed.get(key(r.sessionId, r.zoomUserId))!;
      await this.#isolate(
        "participant",
        [t],
        () =>
          db.participant.update({
            where: { id: r.id },
            data: {
              ...(t.roomId ? { roomId: t.roomId } : {}),
              ...(t.name && !r.name ? { name: t.name } : {}),
              ...t.camera,
            },
          }),
        () => {},
        // The row exists (frames can still be written): only this update is dropped.
        (_t, err) => this.#quarantined("participant", 1, err),
      );
    }
    for (const t of touches) {
      const k = key(t.sessionId, t.zoomUserId);
      if (this.#participants.get(k) === t) this.#participants.delete(k);
    }
  }

  /** One statement per batch (@capture/db insertFrames): replays are skipped, counts stay exact. */
  async #writeFrames(db: Db, metrics: Metrics) {
    // Frames that arrive during this step wait for the next flush, so evictions, events and state
    // updates are never starved by a steady stream of frames.
    for (let left = this.#frames.size; left > 0; ) {
      // Only frames whose participant row is known: frames that arrived while participants were being
      // resolved wait for the next flush (a null participantId would fail the whole batch, every time).
      const batch: [string, FrameRow][] = [];
      for (const entry of this.#frames) {
        if (batch.length >= this.#maxBatch) break;
        if (this.#participantIds.has(key(entry[1].sessionId, entry[1].zoomUserId))) batch.push(entry);
      }
      if (batch.length === 0) return;
      left -= batch.length;
      // Frames the database refused for their team's quota (insertFrames admits them exactly, in SQL).
      const overQuota = new Set<FrameRow>();
      await this.#isolate(
        "frame",
        batch,
        async (part) => {
          const { refusedForQuota } = await insertFrames(
            db,
            part.map(([, r]) => ({
              ...r,
              participantId: this.#participantIds.get(key(r.sessionId, r.zoomUserId))!,
            })),
            { enforceQuota: true, durable: this.#o.durableFrameRows ?? true },
          );
          for (const i of refusedForQuota) overQuota.add(part[i]![1]);
        },
        (written) => {
          const now = performance.now();
          let stored = 0;
          for (const [k, row] of written) {
            this.#forgetFrame(k, row);
            if (overQuota.has(row)) {
              this.#dropOverQuota(row);
              continue;
            }
            stored++;
            metrics.frameToRowLatency.observe((now - row.receivedAt) / 1000);
            metrics.finalToRowLatency.observe((now - row.finalAt) / 1000);
          }
          metrics.framesStored.inc(stored);
        },
        ([k, row], err) => {
          this.#forgetFrame(k, row);
          this.#quarantineFrame(row, err);
        },
      );
    }
  }

  /** Written as a file before the team reached its quota in the database: the file goes, counted. */
  #dropOverQuota(row: FrameRow) {
    this.#o.metrics.framesDropped.inc({ reason: "quota" });
    this.countDropped(row.sessionId, "quota");
    void Promise.resolve(this.#o.onFrameDropped(row)).catch((err) =>
      this.#o.log.error({ err, storageKey: row.storageKey }, "could not delete the file of a dropped frame"),
    );
  }

  /** The same key may have been replaced meanwhile (a replayed frame): only remove what we handled. */
  #forgetFrame(k: string, row: FrameRow) {
    if (this.#frames.get(k) === row) {
      this.#frames.delete(k);
      this.#bytes -= FRAME_OVERHEAD_BYTES + row.storageKey.length * 2;
    }
  }

  async #writeEvictions(db: Db) {
    const resolved = this.#evictions.filter((e) => this.#participantIds.has(key(e.sessionId, e.zoomUserId)));
    if (resolved.length === 0) return;
    const batch = resolved.slice(0, this.#maxBatch);
    const done = new Set<FrameRef>();
    try {
      await this.#isolate(
        "eviction",
        batch,
        (part) =>
          deleteFrames(
            db,
            part.map((e) => ({
              participantId: this.#participantIds.get(key(e.sessionId, e.zoomUserId))!,
              zoomTimestamp: e.zoomTimestamp,
            })),
          ),
        (written) => {
          for (const e of written) done.add(e);
        },
        (e, err) => {
          done.add(e);
          this.#quarantined("eviction", 1, err);
        },
      );
    } finally {
      this.#evictions = this.#evictions.filter((e) => !done.has(e));
    }
  }

  async #writePurges(db: Db) {
    for (const [sessionId, waiting] of [...this.#purges]) {
      const gone = await purgeSessionFrames(db, sessionId);
      this.#purges.delete(sessionId);
      for (const w of waiting) w.resolve(gone);
    }
  }

  /** Counts only: added (not set), each session's counts leave the buffer once their statement commits. */
  async #writeDrops(db: Db) {
    if (this.#drops.size === 0) return;
    const batch = [...this.#drops].map(([sessionId, d]) => ({ sessionId, ...d }));
    this.#drops = new Map();
    try {
      await addSessionDrops(db, batch);
    } catch (err) {
      for (const d of batch) {
        const now = this.#drops.get(d.sessionId) ?? { quota: 0, lowDisk: 0 };
        this.#drops.set(d.sessionId, { quota: now.quota + d.quota, lowDisk: now.lowDisk + d.lowDisk });
      }
      throw err;
    }
  }

  async #writePatches(db: Db) {
    for (const [sessionId, patch] of [...this.#patches]) {
      // A session is marked ended only once its last frames are in: whoever sees STOPPED sees every row.
      if (patch.endedAt && this.#hasFramesOf(sessionId)) continue;
      await this.#isolate(
        "session_patch",
        [patch],
        () => db.captureSession.update({ where: { id: sessionId }, data: patch }),
        () => {},
        (_p, err) => this.#quarantined("session_patch", 1, err, { sessionId }),
      );
      if (this.#patches.get(sessionId) === patch) this.#patches.delete(sessionId);
    }
  }

  async #writeEvents(db: Db) {
    if (this.#events.length === 0) return;
    const batch = this.#events.slice(0, this.#maxBatch);
    const done = new Set<EventRow>();
    try {
      await this.#isolate(
        "event",
        batch,
        (part) => db.sessionEvent.createMany({ data: part }),
        (written) => {
          for (const e of written) done.add(e);
        },
        (e, err) => {
          done.add(e);
          this.#quarantined("event", 1, err, { sessionId: e.sessionId, type: e.type });
        },
      );
    } finally {
      // Written halves leave the buffer even when a later half hit an outage (no duplicate events).
      if (done.size > 0) {
        this.#events = this.#events.filter((e) => !done.has(e));
        this.#bytes -= EVENT_OVERHEAD_BYTES * done.size;
      }
    }
  }

  // ---------- poison rows ----------

  /**
   * Writes `rows`; on a data error, halves until each refused row stands alone, and quarantines those.
   * Any other error (the database is away) is thrown: everything stays buffered for the next flush.
   */
  async #isolate<T>(
    kind: QuarantineKind,
    rows: T[],
    write: (rows: T[]) => Promise<unknown>,
    written: (rows: T[]) => void,
    quarantine: (row: T, err: unknown) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    try {
      await write(rows);
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        quarantine(rows[0]!, err);
        return;
      }
      const mid = rows.length >> 1;
      await this.#isolate(kind, rows.slice(0, mid), write, written, quarantine);
      await this.#isolate(kind, rows.slice(mid), write, written, quarantine);
      return;
    }
    written(rows);
  }

  #quarantined(kind: QuarantineKind, n: number, err: unknown, detail: Record<string, unknown> = {}) {
    this.#o.metrics.rowsQuarantined.inc({ kind }, n);
    const occurrence = this.#quarantineLog.take(kind);
    if (occurrence === 0) return;
    this.#o.log.error(
      {
        kind,
        occurrence,
        sqlState: typeof err === "string" ? undefined : sqlState(err),
        err: typeof err === "string" ? { message: err } : { message: (err as Error).message?.slice(0, 300) },
        ...detail,
      },
      "database refused a row: quarantined (dropped) so other writes continue",
    );
  }

  #quarantineFrame(frame: FrameRow, err: unknown) {
    this.#quarantined("frame", 1, err, { sessionId: frame.sessionId, storageKey: frame.storageKey });
    this.#o.metrics.framesDropped.inc({ reason: "db_refused" });
    void Promise.resolve(this.#o.onFrameDropped(frame)).catch((e) =>
      this.#o.log.error(
        { err: e, storageKey: frame.storageKey },
        "could not delete the file of a dropped frame",
      ),
    );
  }

  /** The participant row was refused: its touch, buffered frames and evictions go with it. */
  #refuseParticipant(t: ParticipantTouch, err: unknown) {
    const k = key(t.sessionId, t.zoomUserId);
    this.#refusedParticipants.add(k);
    this.#participants.delete(k);
    this.#quarantined("participant", 1, err, { sessionId: t.sessionId });
    for (const [fk, f] of this.#frames) {
      if (key(f.sessionId, f.zoomUserId) !== k) continue;
      this.#forgetFrame(fk, f);
      this.#quarantineFrame(f, "participant row refused");
    }
    this.#evictions = this.#evictions.filter((e) => key(e.sessionId, e.zoomUserId) !== k);
  }
}
