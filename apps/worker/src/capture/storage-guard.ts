// Storage limits on the capture path (issue 13), asked before a frame is written:
//   - TeamQuotas: a team at Team.quotaBytes stores no new frame (drop reason `quota`). The check here reads
//     a cached figure refreshed every QUOTA_REFRESH_MS plus what this worker admitted since; it spares
//     writing files the database would refuse. The exact limit is insertFrames' admission, in SQL.
//   - DiskGuard: worker-wide, for the local store. Below the free-space floor no new frame is written (drop
//     reason `low_disk`), a gauge goes to 1 and the portal shows a banner (WorkerDiskState heartbeat).
//     Between readings every admitted byte is subtracted from the last one, so writes stop BEFORE the
//     floor, not one reading after it. Opt-in LOCAL_STORE_DELETE_OLDEST deletes the oldest frames of any
//     team (objects first, then rows, audited per team) to stay above the floor, as Frigate does.
// The free-space reading is a seam (ReadDisk): statfs in production, a JSON file in tests and drills.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, stat, statfs } from "node:fs/promises";
import path from "node:path";
import { type Db, deleteFramesForDisk, oldestFrames, reportDiskState, teamsWithQuota } from "@capture/db";
import type { FrameStore } from "@capture/rtms-core/frames";
import { z } from "zod";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";

export type StorageDropReason = "quota" | "low_disk";

/** What the capture path asks: may this team write a frame now (and, with bytes, this frame)? */
export interface StorageGate {
  /** A reason when no frame of the team can be written now: checked before the policy, costs nothing. */
  blocked(teamId: string): StorageDropReason | undefined;
  /** Reserves room for a decoded frame about to be written; a reason when it does not fit. */
  reserve(teamId: string, bytes: number): StorageDropReason | undefined;
  /** The write of reserved bytes finished (or failed): they are on disk now, or never will be. */
  settle(bytes: number): void;
}

// ---------- team quotas ----------

export class TeamQuotas {
  readonly #db: Db;
  readonly #log: Logger;
  readonly #refreshMs: number;
  /** Teams with a quota: quota and stored bytes at the last refresh. */
  #usage = new Map<string, { quota: number; stored: number }>();
  /** Bytes this worker admitted per team since the last refresh began. */
  #pending = new Map<string, number>();
  /** The last frame size admitted per team: a team with less room than that is blocked. */
  #lastFrame = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #reported = new Set<string>();

  constructor(o: { db: Db; log: Logger; refreshMs: number }) {
    this.#db = o.db;
    this.#log = o.log;
    this.#refreshMs = o.refreshMs;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((err) => this.#log.warn({ err }, "could not refresh team storage quotas"));
    }, this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    const pendingBefore = this.#pending;
    this.#pending = new Map();
    try {
      const rows = await teamsWithQuota(this.#db);
      this.#usage = new Map(
        rows.map((r) => [r.teamId, { quota: Number(r.quotaBytes), stored: Number(r.storedBytes) }]),
      );
    } catch (err) {
      // Keep counting what was admitted against the old figure.
      for (const [t, n] of pendingBefore) this.#pending.set(t, (this.#pending.get(t) ?? 0) + n);
      throw err;
    }
    for (const [teamId, u] of this.#usage) {
      const full = u.stored >= u.quota;
      if (full && !this.#reported.has(teamId)) {
        this.#reported.add(teamId);
        this.#log.warn({ teamId, storedBytes: u.stored, quotaBytes: u.quota }, "team at its storage quota");
      } else if (!full) this.#reported.delete(teamId);
    }
  }

  #room(teamId: string): number {
    const u = this.#usage.get(teamId);
    if (!u) return Number.POSITIVE_INFINITY;
    return u.quota - u.stored - (this.#pending.get(teamId) ?? 0);
  }

  blocked(teamId: string): boolean {
    const room = this.#room(teamId);
    return room <= 0 || room < (this.#lastFrame.get(teamId) ?? 0);
  }

  reserve(teamId: string, bytes: number): boolean {
    if (!this.#usage.has(teamId)) return true;
    this.#lastFrame.set(teamId, bytes);
    if (this.#room(teamId) < bytes) return false;
    this.#pending.set(teamId, (this.#pending.get(teamId) ?? 0) + bytes);
    return true;
  }
}

// ---------- the free-space reading ----------

export interface DiskReading {
  freeBytes: number;
  totalBytes: number;
}
export type ReadDisk = () => Promise<DiskReading>;

/** The real reading: free space available to this process on the store's file system. */
export function statfsReader(dir: string): ReadDisk {
  return async () => {
    const s = await statfs(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  };
}

const SimulatedReading = z.union([
  z.object({ freeBytes: z.number().nonnegative(), totalBytes: z.number().positive() }),
  z.object({ capacityBytes: z.number().positive() }),
]);

/** Bytes of every file under dir (a simulated disk holds only the frame store). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    total += await stat(path.join(e.parentPath, e.name)).then(
      (s) => s.size,
      () => 0, // deleted meanwhile
    );
  }
  return total;
}

/** Tests and drills (LOCAL_STORE_DISK_READING_FILE): the reading comes from a JSON file, re-read each time. */
export function fileReader(file: string, storeDir: string): ReadDisk {
  return async () => {
    const parsed = SimulatedReading.parse(JSON.parse(await readFile(file, "utf8")));
    if ("capacityBytes" in parsed) {
      const used = await bytesUnder(storeDir);
      return { freeBytes: Math.max(0, parsed.capacityBytes - used), totalBytes: parsed.capacityBytes };
    }
    return parsed;
  };
}

// ---------- the low-disk guard ----------

export interface DiskGuardOptions {
  read: ReadDisk;
  minFreeBytes: number;
  minFreePercent: number;
  checkMs: number;
  db: Db;
  /** For delete-oldest: the objects go first, then the rows. */
  store: Pick<FrameStore, "delete">;
  metrics: Metrics;
  log: Logger;
  workerId: string;
  deleteOldest: boolean;
  headroomBytes: number;
  /** Frames per delete-oldest batch. */
  batchSize?: number;
}

export class DiskGuard {
  readonly #o: DiskGuardOptions;
  #reading?: DiskReading;
  /** Bytes reserved and not yet settled (writes in flight) when the current reading was taken. */
  #inFlightAtReading = 0;
  #inFlight = 0;
  /** Bytes reserved since the current reading was taken. */
  #sinceReading = 0;
  /** The last frame size asked for: with less room than that above the floor, the store counts as low. */
  #lastFrame = 0;
  #low = false;
  #timer?: NodeJS.Timeout;
  #checking?: Promise<void>;
  #sweeping?: Promise<void>;
  #closed = false;

  constructor(o: DiskGuardOptions) {
    this.#o = o;
  }

  get floorBytes(): number {
    const total = this.#reading?.totalBytes ?? 0;
    return Math.max(this.#o.minFreeBytes, (total * this.#o.minFreePercent) / 100);
  }

  /** Free space now, as far as this worker knows: the last reading less what it admitted since. */
  get estimatedFreeBytes(): number {
    if (!this.#reading) return Number.POSITIVE_INFINITY;
    return this.#reading.freeBytes - this.#inFlightAtReading - this.#sinceReading;
  }

  get low(): boolean {
    return this.#low;
  }

  /** Takes the first reading before any capture starts, then one every checkMs. */
  async start(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check(), this.#o.checkMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#checking;
    await this.#sweeping;
    await this.#o.db.workerDiskState
      .deleteMany({ where: { workerId: this.#o.workerId } })
      .catch((err) => this.#o.log.warn({ err }, "could not clear this worker's disk state row"));
  }

  /** Reads the free space, updates the state and the heartbeat row, and starts delete-oldest if due. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check() {
    const { log, metrics } = this.#o;
    try {
      await this.#read();
    } catch (err) {
      // No reading: keep the last one (and what was admitted since), say so once per check.
      log.warn({ err }, "could not read the local frame store's free space");
      return;
    }
    metrics.localStoreFloorBytes.set(this.floorBytes);
    this.#update();
    await this.#report();
    if (this.#o.deleteOldest && this.estimatedFreeBytes < this.floorBytes + this.#o.headroomBytes) {
      this.#sweeping ??= this.#deleteOldest().finally(() => {
        this.#sweeping = undefined;
      });
    }
  }

  async #read() {
    const inFlight = this.#inFlight;
    const since = this.#sinceReading;
    const reading = await this.#o.read();
    // What was admitted while reading may or may not be in it: counted (conservative).
    this.#reading = reading;
    this.#inFlightAtReading = inFlight;
    this.#sinceReading -= since;
  }

  #update() {
    const free = this.estimatedFreeBytes;
    this.#o.metrics.localStoreFreeBytes.set(Math.max(0, free));
    // Writes stop before the floor, so "low" means: the next frame would not fit above it.
    const low = free - this.#lastFrame < this.floorBytes;
    if (low !== this.#low) {
      this.#low = low;
      this.#o.metrics.localStoreLowDisk.set(low ? 1 : 0);
      const detail = { freeBytes: free, floorBytes: this.floorBytes, totalBytes: this.#reading?.totalBytes };
      if (low)
        this.#o.log.error(detail, "local frame store below its free-space floor: new frames are not written");
      else
        this.#o.log.info(detail, "local frame store back above its free-space floor: writing frames again");
      void this.#report();
    }
  }

  async #report() {
    if (this.#closed || !this.#reading) return;
    await reportDiskState(this.#o.db, {
      workerId: this.#o.workerId,
      lowDisk: this.#low,
      freeBytes: Math.max(0, this.estimatedFreeBytes),
      totalBytes: this.#reading.totalBytes,
      floorBytes: this.floorBytes,
      deleteOldest: this.#o.deleteOldest,
      ttlMs: 3 * this.#o.checkMs + 5_000,
    }).catch((err) => this.#o.log.warn({ err }, "could not report the disk state"));
  }

  blocked(): boolean {
    const blocked = this.estimatedFreeBytes - this.#lastFrame < this.floorBytes;
    // Known before the next reading: the gauge and the portal's row follow at once.
    if (blocked && !this.#low) this.#update();
    return blocked;
  }

  reserve(bytes: number): boolean {
    this.#lastFrame = bytes;
    if (this.estimatedFreeBytes - bytes < this.floorBytes) {
      if (!this.#low) this.#update();
      if (this.#o.deleteOldest) void this.check();
      return false;
    }
    this.#inFlight += bytes;
    this.#sinceReading += bytes;
    return true;
  }

  settle(bytes: number): void {
    this.#inFlight -= bytes;
  }

  /**
   * LOCAL_STORE_DELETE_OLDEST: deletes the oldest frames, objects first then rows (a crash in between
   * leaves rows whose objects are gone, which the next sweep deletes), re-reading the disk after each
   * batch, until free space is back to floor + 2 x headroom. Audited per team with counts.
   */
  async #deleteOldest() {
    const { db, store, log, metrics } = this.#o;
    const target = () => this.floorBytes + 2 * this.#o.headroomBytes;
    const run = {
      runId: randomUUID(),
      workerId: this.#o.workerId,
      floorBytes: this.floorBytes,
      freeBytesBefore: Math.max(0, this.estimatedFreeBytes),
    };
    let frames = 0;
    let bytes = 0;
    try {
      while (!this.#closed && this.estimatedFreeBytes < target()) {
        const batch = await oldestFrames(db, this.#o.batchSize ?? 100);
        if (batch.length === 0) break;
        for (const f of batch) await store.delete(f.storageKey);
        const done = await deleteFramesForDisk(
          db,
          run,
          batch.map((f) => f.id),
        );
        frames += done.frames;
        bytes += done.bytes;
        metrics.lowDiskDeletedFrames.inc(done.frames);
        await this.#read();
        this.#update();
      }
    } catch (err) {
      log.error({ err, runId: run.runId, frames }, "delete-oldest sweep failed; the next check retries");
      return;
    }
    if (frames > 0) {
      log.warn(
        { runId: run.runId, frames, bytes, freeBytes: this.estimatedFreeBytes, floorBytes: this.floorBytes },
        "deleted the oldest frames to stay above the free-space floor",
      );
      await this.#report();
    }
  }
}

// ---------- both, as the capture path sees them ----------

export class StorageGuard implements StorageGate {
  constructor(
    readonly quotas?: TeamQuotas,
    readonly disk?: DiskGuard,
  ) {}

  blocked(teamId: string): StorageDropReason | undefined {
    if (this.disk?.blocked()) return "low_disk";
    if (this.quotas?.blocked(teamId)) return "quota";
    return undefined;
  }

  reserve(teamId: string, bytes: number): StorageDropReason | undefined {
    if (this.quotas && !this.quotas.reserve(teamId, bytes)) return "quota";
    if (this.disk && !this.disk.reserve(bytes)) return "low_disk";
    return undefined;
  }

  settle(bytes: number): void {
    this.disk?.settle(bytes);
  }
}

/** Builds the guard from the env: quotas always, the disk guard for the local store only. */
export async function startStorageGuard(o: {
  env: Pick<
    Env,
    | "FRAME_STORE"
    | "QUOTA_REFRESH_MS"
    | "LOCAL_STORE_MIN_FREE_BYTES"
    | "LOCAL_STORE_MIN_FREE_PERCENT"
    | "LOCAL_STORE_CHECK_MS"
    | "LOCAL_STORE_DELETE_OLDEST"
    | "LOCAL_STORE_DELETE_HEADROOM_BYTES"
    | "LOCAL_STORE_DISK_READING_FILE"
    | "WORKER_ID"
  >;
  localRootDir: string;
  db: Db;
  store: Pick<FrameStore, "delete">;
  metrics: Metrics;
  log: Logger;
}): Promise<{ guard: StorageGuard; close(): Promise<void> }> {
  const { env, db, log } = o;
  const quotas = new TeamQuotas({ db, log, refreshMs: env.QUOTA_REFRESH_MS });
  await quotas.start();
  let disk: DiskGuard | undefined;
  if (env.FRAME_STORE === "local") {
    await mkdir(o.localRootDir, { recursive: true });
    disk = new DiskGuard({
      read: env.LOCAL_STORE_DISK_READING_FILE
        ? fileReader(env.LOCAL_STORE_DISK_READING_FILE, o.localRootDir)
        : statfsReader(o.localRootDir),
      minFreeBytes: env.LOCAL_STORE_MIN_FREE_BYTES,
      minFreePercent: env.LOCAL_STORE_MIN_FREE_PERCENT,
      checkMs: env.LOCAL_STORE_CHECK_MS,
      db,
      store: o.store,
      metrics: o.metrics,
      log,
      workerId: env.WORKER_ID,
      deleteOldest: env.LOCAL_STORE_DELETE_OLDEST,
      headroomBytes: env.LOCAL_STORE_DELETE_HEADROOM_BYTES,
    });
    await disk.start();
  }
  return {
    guard: new StorageGuard(quotas, disk),
    async close() {
      quotas.stop();
      await disk?.close();
    },
  };
}
