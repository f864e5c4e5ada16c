// The local store's file writes (put, delete) run on threads of their own with plain synchronous syscalls,
// one message per batch, instead of through fs/promises.
//
// Why: a put through fs/promises is four thread-pool round trips (open, write, close, rename), each a
// wake-up of a pool thread and a completion handled on the event loop. On the 2-core VMs this project is
// measured on, that cost the event loop 250 to 341 µs per 120 KB put at 1,000 puts/s, against 73 to 80 µs
// with these threads, and the process 407 to 1,002 µs of CPU against 285 to 851 (bench/file-writes.ts).
// The event loop is what parses frames and answers Zoom's keep-alives, so its time is the scarce one.
//
// One folder's jobs run one after the other in call order, so a put and a later delete of the same file
// keep their order; the rest go to the least busy thread, so a stalled syscall holds up only its own
// folder. The threads are unref'd while idle: they never keep a process alive.
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { PutOptions } from "./store.ts";

export type FileJob =
  | { op: "put"; dir: string; temp: string; target: string; bytes: Uint8Array; fsync: boolean }
  | { op: "unlink"; file: string };

/** What a job answers: a put, the hex SHA-256 of what it wrote; an unlink, whether the file existed. */
type Answer = string | boolean;
type Settle = { resolve: (answer: Answer) => void; reject: (err: Error) => void };

/** A failed syscall as the thread saw it, rebuilt with its errno code (ENOENT, EACCES, ENOSPC...). */
export class FileJobError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = "FileJobError";
    this.code = code;
  }
}

// CommonJS on purpose: an eval'd worker runs as a script, the same under tsx, vitest and compiled dist.
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");

function put(j) {
  let fd;
  try {
    try {
      fd = fs.openSync(j.temp, "wx");
    } catch (err) {
      // The participant's first frame, or its folder removed behind our back (erasure, retention).
      if (err.code !== "ENOENT") throw err;
      fs.mkdirSync(j.dir, { recursive: true });
      fd = fs.openSync(j.temp, "wx");
    }
    for (let at = 0; at < j.bytes.byteLength; ) at += fs.writeSync(fd, j.bytes, at);
    if (j.fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(j.temp, j.target);
    if (j.fsync) {
      const dirFd = fs.openSync(j.dir, "r");
      try { fs.fsyncSync(dirFd); } finally { fs.closeSync(dirFd); }
    }
    // The row's content hash, taken here so the caller's event loop does not spend ~35 µs per 52 KB on it.
    return createHash("sha256").update(j.bytes).digest("hex");
  } catch (err) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    try { fs.unlinkSync(j.temp); } catch {}
    throw err;
  }
}

function unlink(j) {
  try {
    fs.unlinkSync(j.file);
    return true;
  } catch (err) {
    if (err.code === "ENOENT") return false;
    throw err;
  }
}

parentPort.on("message", (batch) => {
  const results = [];
  for (const [id, job] of batch) {
    try {
      results.push([id, job.op === "put" ? put(job) : unlink(job)]);
    } catch (err) {
      results.push([id, undefined, { message: String(err && err.message), code: err && err.code }]);
    }
  }
  parentPort.postMessage(results);
});
`;

type Result = [id: number, value: Answer | undefined, error?: { message: string; code?: string }];

class WriterThread {
  #worker?: Worker;
  readonly #pending = new Map<number, Settle>();
  #batch: [number, FileJob][] = [];
  /** Buffers this batch moves to the thread instead of copying (runFileJob's handOver). */
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;

  get inFlight(): number {
    return this.#pending.size;
  }

  run(id: number, job: FileJob, settle: Settle, transfer?: ArrayBuffer) {
    this.#pending.set(id, settle);
    this.#batch.push([id, job]);
    if (transfer) this.#transfer.push(transfer);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Everything asked for in this turn of the event loop (every socket read) goes as one message.
    setImmediate(() => this.#post());
  }

  #post() {
    this.#scheduled = false;
    const batch = this.#batch;
    const transfer = this.#transfer;
    this.#batch = [];
    this.#transfer = [];
    if (batch.length === 0) return;
    const worker = this.#spawned();
    worker.ref();
    worker.postMessage(batch, transfer);
  }

  #spawned(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true, name: "frame-file-writer" });
    worker.on("message", (results: Result[]) => {
      for (const [id, value, error] of results) {
        const settle = this.#pending.get(id);
        this.#pending.delete(id);
        if (!settle) continue;
        if (error) settle.reject(new FileJobError(error.message, error.code));
        else settle.resolve(value ?? false);
      }
      if (this.#pending.size === 0) worker.unref();
    });
    // A thread that dies takes its jobs with it: each fails (the caller retries or counts a drop), and the
    // next job starts a new thread.
    const fail = (err: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      for (const settle of this.#pending.values()) settle.reject(err);
      this.#pending.clear();
      this.#batch = []; // failed above: never run them on the next thread as well
      this.#transfer = [];
    };
    worker.on("error", fail);
    worker.on("exit", (code) =>
      fail(new FileJobError(`frame file writer thread exited (${code})`, "EXITED")),
    );
    this.#worker = worker;
    return worker;
  }
}

/** Threads shared by every local store of the process: files are the disk's, not one store's. */
const THREADS = 2;
const threads = Array.from({ length: THREADS }, () => new WriterThread());
let nextId = 1;

/**
 * Jobs waiting for an earlier job of the same folder, by folder. A folder with an entry has a job in
 * flight; its next job goes out when that one settles. So one folder's jobs run in call order, and a slow
 * syscall (a disk that stalls) holds up its own folder only: every other job goes to the least busy thread.
 */
const folderQueues = new Map<string, (() => void)[]>();

/**
 * Runs a job on the least busy writer thread, after any earlier job of its folder. With `handOver`, a put
 * whose bytes cover their whole buffer moves that buffer to the thread (the caller's view is left empty):
 * structured clone copies it. Measured on this project's 2-core VMs, per 120 KB frame in batches of 16:
 * 36 to 52 µs of event loop cloned against 1 to 6 µs moved; 141 to 186 µs against 131 to 157 µs per whole put at
 * 1,000 puts/s (bench/file-writes.ts).
 */
export function runFileJob(job: Extract<FileJob, { op: "put" }>, o?: PutOptions): Promise<string>;
export function runFileJob(job: Extract<FileJob, { op: "unlink" }>): Promise<boolean>;
export function runFileJob(job: FileJob, o: PutOptions = {}): Promise<Answer> {
  // path.dirname, as the store derives a put's dir: a put and a delete of one file share one folder key.
  const folder = job.op === "put" ? job.dir : path.dirname(job.file);
  let own = job;
  let transfer: ArrayBuffer | undefined;
  if (job.op === "put") {
    const { buffer, byteLength } = job.bytes;
    const whole = buffer instanceof ArrayBuffer && byteLength === buffer.byteLength;
    // A view into a larger buffer (Node's pool) would be copied whole to the thread: send just its bytes.
    if (!whole) own = { ...job, bytes: new Uint8Array(job.bytes) };
    else if (o.handOver) transfer = buffer;
  }
  return new Promise<Answer>((resolve, reject) => {
    const start = () => {
      const done = () => {
        const next = folderQueues.get(folder)?.shift();
        if (next) next();
        else folderQueues.delete(folder);
      };
      leastBusy().run(
        nextId++,
        own,
        {
          resolve: (answer) => {
            done();
            resolve(answer);
          },
          reject: (err) => {
            done();
            reject(err);
          },
        },
        transfer,
      );
    };
    const waiting = folderQueues.get(folder);
    if (waiting) waiting.push(start);
    else {
      folderQueues.set(folder, []);
      start();
    }
  });
}

/** Fewest jobs in flight; the first such thread, so a light load stays on one thread (one message a turn). */
function leastBusy(): WriterThread {
  let best = threads[0]!;
  for (const t of threads) if (t.inFlight < best.inFlight) best = t;
  return best;
}
