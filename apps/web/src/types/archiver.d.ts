// The slice of archiver 8's API the portal uses (archiver 8 is ESM and ships no types of its own).
declare module "archiver" {
  import type { Readable, Transform } from "node:stream";

  export interface EntryData {
    name: string;
    date?: Date;
    mode?: number;
  }

  export class ZipArchive extends Transform {
    constructor(options?: { store?: boolean; zlib?: { level?: number }; forceZip64?: boolean });
    append(source: Readable | Buffer | string, data: EntryData): this;
    finalize(): Promise<void>;
    abort(): this;
    pointer(): number;
    on(event: "entry", listener: (entry: EntryData) => void): this;
    on(event: "warning" | "error", listener: (err: Error & { code?: string }) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
