// @capture/rtms-core/frames/testing: a real S3 wire protocol on loopback for tests (s3rver, an emulator of
// the S3 REST API; a devDependency, so nothing at runtime may import this file). It runs as a child
// process, stopped and started again on the same port and folder, which is how tests make an S3 outage.
// Why a child: s3rver 3.7.1 makes list continuation tokens with DES, which Node 20's OpenSSL 3 only has
// with --openssl-legacy-provider; that flag stays on the emulator's process, never the test's.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { S3FrameStore, type S3FrameStoreOptions } from "./s3-store.ts";

/** s3rver signs with these (its documented defaults). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface TestS3Server {
  readonly endpoint: string;
  readonly port: number;
  readonly directory: string;
  /** The emulator's process id while it runs (benches read its CPU time from /proc). */
  readonly pid: number | undefined;
  /** Options for an S3FrameStore on this server (bucket created by `store`). */
  storeOptions(bucket: string, extra?: Partial<S3FrameStoreOptions>): S3FrameStoreOptions;
  /** A store whose bucket exists. */
  store(bucket: string, extra?: Partial<S3FrameStoreOptions>): Promise<S3FrameStore>;
  /** Closes the listener: an outage. Objects stay in `directory`. */
  stop(): Promise<void>;
  /** Listens again on the same port and folder. */
  start(): Promise<void>;
  /** Stops and removes the folder. */
  dispose(): Promise<void>;
}

const S3RVER_MODULE = createRequire(import.meta.url).resolve("s3rver");

/**
 * Runs in the child: listens, prints {"port"} once, then serves until killed. One fix first: s3rver 3.7.1's
 * FilesystemStore.putObject answers the PUT before the object's bytes are on disk (it resolves on end() and
 * on the hashing transform's finish, not the file's), so a GET right after can see a short file (a 416 on
 * a range, seen under load). S3 reads its own writes; this putObject awaits the write, as S3 would.
 */
const SERVER = `
const { createRequire } = await import("node:module");
const { createHash } = await import("node:crypto");
const { mkdir, writeFile } = await import("node:fs/promises");
const { dirname } = await import("node:path");
const FilesystemStore = createRequire(process.env.S3RVER_MODULE)("./stores/filesystem");
FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  await mkdir(dirname(objectPath), { recursive: true });
  let content = object.content;
  if (!Buffer.isBuffer(content)) {
    const chunks = [];
    for await (const chunk of content) chunks.push(chunk);
    content = Buffer.concat(chunks);
  }
  await writeFile(objectPath, content);
  const md5 = createHash("md5").update(content).digest("hex");
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size: content.length, md5 };
};
const { default: S3rver } = await import(process.env.S3RVER_MODULE);
const server = new S3rver({
  port: Number(process.env.S3RVER_PORT), address: "127.0.0.1", silent: true, directory: process.env.S3RVER_DIR,
});
const info = await server.run();
process.stdout.write(JSON.stringify({ port: info.port }) + "\\n");
// The parent holds our stdin: when it goes away, so do we (no emulator outlives its test run).
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export async function startTestS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(tmpdir(), "s3rver-"));
  let port = 0;
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    const running = spawn(
      process.execPath,
      ["--openssl-legacy-provider", "--input-type=module", "-e", SERVER],
      {
        env: {
          ...process.env,
          S3RVER_MODULE: S3RVER_MODULE,
          S3RVER_PORT: String(port),
          S3RVER_DIR: directory,
        },
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    child = running;
    const lines = createInterface({ input: running.stdout! });
    const ready = new Promise<number>((resolve, reject) => {
      lines.once("line", (line) => resolve(Number(JSON.parse(line).port)));
      running.once("exit", (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
    });
    try {
      port = await ready;
    } catch (error) {
      child = undefined;
      throw error;
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const storeOptions = (bucket: string, extra: Partial<S3FrameStoreOptions> = {}): S3FrameStoreOptions => ({
    bucket,
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    ...extra,
  });
  return {
    endpoint,
    get port() {
      return port;
    },
    directory,
    get pid() {
      return child?.pid;
    },
    storeOptions,
    async store(bucket, extra) {
      const store = new S3FrameStore(storeOptions(bucket, extra));
      await store.ensureBucket();
      return store;
    },
    stop,
    start,
    async dispose() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
