// Frames as objects in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph RGW), with the same keys as the
// local store (keys.ts), so a frame row's storageKey means the same thing on either store.
// The SDK's own retries are off: every call goes through one retry loop with a bounded budget (attempts and
// total time), so an outage ends in a coded UNAVAILABLE the caller can count, never in a hang.
// Calls past `maxSockets` wait in this store's own queue, not in the HTTP agent's: the SDK's connection
// timeout and our try's time limit both start when a request is made, so a request queued in the agent
// behind a burst (a worker writing 500 frames/s to a slower S3) timed out without ever being sent, was
// retried into the same queue, and the backlog fed itself. Here a try's clocks start when it is sent.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { checkStorageKey, frameStorageKey, isFrameFileName, sessionFolder } from "./keys.ts";
import {
  type ByteRange,
  checkByteRange,
  contentTypeForKey,
  type FrameObjectInfo,
  type FrameStore,
  FrameStoreError,
  type FrameStoreErrorCode,
  type FrameWrite,
  type StoredFrame,
} from "./store.ts";

export interface S3RetryBudget {
  /** Tries per call, the first included. Default 5. */
  attempts?: number;
  /** Wall time per call across all tries and waits. Default 10 s. */
  budgetMs?: number;
  /** First backoff; doubles per try with full jitter. Default 100 ms. */
  baseDelayMs?: number;
  /** Cap on one backoff. Default 2 s. */
  maxDelayMs?: number;
  /** One try's time limit (connect to last byte of the answer headers). Default 5 s. */
  attemptTimeoutMs?: number;
}

export interface S3FrameStoreOptions {
  bucket: string;
  /** e.g. http://127.0.0.1:9000 for MinIO; unset for AWS. */
  endpoint?: string;
  /** Default us-east-1 (what MinIO and s3rver accept). */
  region?: string;
  /** Bucket in the path, not the host name: MinIO, s3rver and most self-hosted servers need it. */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default chain (env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Put before every key, e.g. "frames/", so one bucket can hold other things. Default none. */
  keyPrefix?: string;
  retry?: S3RetryBudget;
  /**
   * Requests in flight per store (default 64): a worker writes many frames at once. Further calls wait in
   * order, their tries and time budget starting when they are sent. The HTTP agent may keep twice as many
   * sockets, so bodies still streaming to readers (createReadStream) never hold up new requests.
   */
  maxSockets?: number;
  /** A client built elsewhere (its own retries should be off); the options above except bucket are ignored. */
  client?: S3Client;
  /** Keys per list page (S3's MaxKeys, at most 1000, the default). */
  listPageSize?: number;
  /** Keys per DeleteObjects request (at most 1000, the default). */
  deleteBatchSize?: number;
  /** Told of each failed try that will be retried (for logs and metrics). */
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: unknown }) => void;
}

const DEFAULT_RETRY: Required<S3RetryBudget> = {
  attempts: 5,
  budgetMs: 10_000,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  attemptTimeoutMs: 5_000,
};

const DEFAULT_MAX_SOCKETS = 64;

/** ListObjectsV2 answers and DeleteObjects takes at most 1000 keys per request (S3 API reference). */
const S3_MAX_KEYS = 1000;

export class S3FrameStore implements FrameStore {
  readonly bucket: string;
  readonly client: S3Client;
  readonly #prefix: string;
  readonly #retry: Required<S3RetryBudget>;
  readonly #listPageSize: number;
  readonly #deleteBatchSize: number;
  readonly #onRetry: S3FrameStoreOptions["onRetry"];
  readonly #slots: Slots;

  constructor(options: S3FrameStoreOptions) {
    if (!options.bucket) throw new FrameStoreError("INVALID_FRAME", "S3 frame store needs a bucket");
    this.bucket = options.bucket;
    this.#prefix = options.keyPrefix ?? "";
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#listPageSize = Math.min(S3_MAX_KEYS, Math.max(1, options.listPageSize ?? S3_MAX_KEYS));
    this.#deleteBatchSize = Math.min(S3_MAX_KEYS, Math.max(1, options.deleteBatchSize ?? S3_MAX_KEYS));
    this.#onRetry = options.onRetry;
    this.#slots = new Slots(Math.max(1, options.maxSockets ?? DEFAULT_MAX_SOCKETS));
    this.client = options.client ?? new S3Client(clientConfig(options));
  }

  storageKeyFor(frame: FrameWrite): string {
    return frameStorageKey(frame);
  }

  async put(frame: FrameWrite, bytes: Uint8Array): Promise<StoredFrame> {
    const storageKey = this.storageKeyFor(frame);
    // Content-MD5: the server refuses a body that arrived different from what was sent (S3 BadDigest).
    const md5 = createHash("md5").update(bytes).digest("base64");
    await this.#send("WRITE_FAILED", `put ${storageKey}`, (abortSignal) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.#objectKey(storageKey),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: contentTypeForKey(storageKey),
          ContentMD5: md5,
        }),
        { abortSignal },
      ),
    );
    return { storageKey, bytes: bytes.byteLength };
  }

  async get(storageKey: string): Promise<Buffer> {
    checkStorageKey(storageKey);
    // The body is read inside the retried call: a connection cut mid-body is retried like any other.
    return this.#send("READ_FAILED", `get ${storageKey}`, async (abortSignal) => {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(storageKey) }),
        { abortSignal },
      );
      return Buffer.from(await answer.Body!.transformToByteArray());
    });
  }

  async createReadStream(
    storageKey: string,
    range?: ByteRange,
  ): Promise<{ stream: Readable; bytes: number }> {
    checkStorageKey(storageKey);
    if (range) checkByteRange(range);
    // Only the answer's headers are awaited under the retry budget; the body streams at the reader's pace.
    const answer = await this.#send("READ_FAILED", `read ${storageKey}`, (abortSignal) =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.#objectKey(storageKey),
          Range: range ? `bytes=${range.start}-${range.end ?? ""}` : undefined,
        }),
        { abortSignal },
      ),
    );
    const body = answer.Body;
    const stream =
      body instanceof Readable ? body : Readable.from(body as unknown as AsyncIterable<Uint8Array>);
    return { stream, bytes: answer.ContentLength ?? 0 };
  }

  async head(storageKey: string): Promise<FrameObjectInfo | undefined> {
    checkStorageKey(storageKey, { temp: true });
    try {
      const answer = await this.#send("READ_FAILED", `head ${storageKey}`, (abortSignal) =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(storageKey) }), {
          abortSignal,
        }),
      );
      return {
        storageKey,
        bytes: answer.ContentLength ?? 0,
        etag: answer.ETag ?? `"${answer.ContentLength ?? 0}"`,
        lastModified: answer.LastModified,
      };
    } catch (error) {
      if (error instanceof FrameStoreError && error.code === "NOT_FOUND") return undefined;
      throw error;
    }
  }

  async exists(storageKey: string): Promise<boolean> {
    return (await this.head(storageKey)) !== undefined;
  }

  async delete(storageKey: string): Promise<boolean> {
    // S3's DELETE answers 204 whether or not the key existed: the contract's "did it exist" needs a HEAD.
    const existed = await this.exists(storageKey);
    if (!existed) return false;
    await this.#send("WRITE_FAILED", `delete ${storageKey}`, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(storageKey) }), {
        abortSignal,
      }),
    );
    return true;
  }

  async deleteSession(sessionKey: string): Promise<void> {
    const prefix = `${sessionFolder(sessionKey)}/`;
    let batch: string[] = [];
    const flush = async () => {
      const keys = batch;
      batch = [];
      const answer = await this.#send("WRITE_FAILED", `delete session ${prefix}`, (abortSignal) =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
          { abortSignal },
        ),
      );
      if (answer.Errors && answer.Errors.length > 0) {
        const first = answer.Errors[0]!;
        throw new FrameStoreError(
          "WRITE_FAILED",
          `could not delete ${answer.Errors.length} objects of ${prefix} (first: ${first.Key}: ${first.Code})`,
        );
      }
    };
    // Every object under the session's prefix, not only frame-shaped keys: nothing of the session may stay.
    for await (const key of this.#listObjectKeys(this.#objectKey(prefix))) {
      batch.push(key);
      if (batch.length === this.#deleteBatchSize) await flush();
    }
    if (batch.length > 0) await flush();
  }

  async *list(prefix: string): AsyncIterable<StoredFrame> {
    if (typeof prefix !== "string")
      throw new FrameStoreError("INVALID_STORAGE_KEY", "list prefix is not text");
    let token: string | undefined;
    do {
      const page = await this.#listPage(this.#objectKey(prefix), token);
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(this.#prefix)) continue;
        const storageKey = object.Key.slice(this.#prefix.length);
        // Only what this store writes (S3 writes are atomic, so it has no temp files of its own).
        const file = storageKey.slice(storageKey.lastIndexOf("/") + 1);
        if (!isFrameFileName(file) || storageKey.split("/").length !== 3) continue;
        yield { storageKey, bytes: object.Size ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Creates the bucket when it does not exist (tests, compose's first start); production buckets pre-exist. */
  async ensureBucket(): Promise<void> {
    try {
      await this.#send("READ_FAILED", `head bucket ${this.bucket}`, (abortSignal) =>
        this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }),
      );
    } catch (error) {
      if (!(error instanceof FrameStoreError) || error.code !== "NOT_FOUND") throw error;
      await this.#send("WRITE_FAILED", `create bucket ${this.bucket}`, (abortSignal) =>
        this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal }),
      );
    }
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  #objectKey(storageKey: string): string {
    return this.#prefix + storageKey;
  }

  async *#listObjectKeys(objectPrefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.#listPage(objectPrefix, token);
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  #listPage(objectPrefix: string, token: string | undefined) {
    return this.#send("READ_FAILED", `list ${objectPrefix}`, (abortSignal) =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: objectPrefix,
          ContinuationToken: token,
          MaxKeys: this.#listPageSize,
        }),
        { abortSignal },
      ),
    );
  }

  /**
   * One S3 call under the retry budget. Each try gets its own time limit; network errors, timeouts, 5xx and
   * throttling are retried with jittered exponential backoff until the tries or the time run out
   * (UNAVAILABLE); anything else fails at once with its code. The try's timer stops when `call` resolves,
   * so a stream handed back (createReadStream) is never cut off for a slow reader.
   */
  async #send<T>(
    failCode: FrameStoreErrorCode,
    what: string,
    call: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const { attempts, budgetMs, baseDelayMs, maxDelayMs, attemptTimeoutMs } = this.#retry;
    // The budget starts when the first try is sent: time queued behind this store's other calls is not
    // time S3 failed to answer.
    let deadline: number | undefined;
    let lastError: unknown;
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.#slots.acquire();
      deadline ??= Date.now() + budgetMs;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.#slots.release();
        break;
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.min(attemptTimeoutMs, remaining));
      tries = attempt;
      try {
        return await call(controller.signal);
      } catch (error) {
        lastError = error;
        const kind = classify(error);
        if (kind !== "retry") throw toStoreError(kind, failCode, what, error);
      } finally {
        clearTimeout(timer);
        this.#slots.release();
      }
      if (attempt === attempts) break;
      const backoff = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const wait = Math.max(0, Math.min(backoff, (deadline ?? 0) - Date.now()));
      this.#onRetry?.({ operation: what, attempt, delayMs: Math.round(wait), error: lastError });
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const plural = tries === 1 ? "try" : "tries";
    throw new FrameStoreError(
      "UNAVAILABLE",
      `S3 store unavailable: ${what} failed after ${tries} ${plural} (${describe(lastError)})`,
      { cause: lastError },
    );
  }
}

/** At most `limit` holders at once; the rest wait in arrival order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#free = limit;
  }

  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the slot straight to the first waiter, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

type ErrorKind = "retry" | "not_found" | "range" | "fail";

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function classify(error: unknown): ErrorKind {
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.Code ?? "";
  if (status === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket")
    return "not_found";
  if (status === 416 || name === "InvalidRange") return "range";
  if (status === undefined || status >= 500 || status === 429 || status === 408) return "retry";
  if (name === "SlowDown" || name === "RequestTimeout" || e.$retryable) return "retry";
  return "fail";
}

function toStoreError(kind: ErrorKind, failCode: FrameStoreErrorCode, what: string, error: unknown) {
  const code: FrameStoreErrorCode =
    kind === "not_found" ? "NOT_FOUND" : kind === "range" ? "INVALID_RANGE" : failCode;
  return new FrameStoreError(code, `S3 ${what}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  if (!error) return "no error";
  const e = error as SdkError & { message?: string };
  const status = e.$metadata?.httpStatusCode;
  return [e.name, e.code, status && `HTTP ${status}`, e.message].filter(Boolean).join(" ");
}

function clientConfig(options: S3FrameStoreOptions): S3ClientConfig {
  return {
    region: options.region ?? "us-east-1",
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? false,
    credentials: options.credentials,
    // One retry loop (ours), with a budget the caller can reason about.
    maxAttempts: 1,
    // Checksums only where the API requires one (DeleteObjects). A put already carries Content-MD5, which
    // the server checks; the SDK's default would add a CRC32 of every frame (a third pass over the bytes,
    // next to MD5 and SigV4's SHA-256) and x-amz-sdk-checksum-* headers that S3-compatible servers without
    // flexible checksums refuse (Backblaze B2's "Unsupported header", boto/s3transfer#327).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: 2_000,
      // Twice the requests in flight (see maxSockets): the agent itself never queues a request.
      httpAgent: { keepAlive: true, maxSockets: 2 * (options.maxSockets ?? DEFAULT_MAX_SOCKETS) },
      httpsAgent: { keepAlive: true, maxSockets: 2 * (options.maxSockets ?? DEFAULT_MAX_SOCKETS) },
    },
  };
}
