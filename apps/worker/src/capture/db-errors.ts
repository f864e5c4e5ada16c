// Telling a row the database will never take (a data error: it fails the same way every time) from a
// database that is away for now (a connection error: retry everything later). Only the first kind may be
// dropped; dropping on the second would lose good rows during every outage.
//
// Postgres SQLSTATE class 22 is "data exception" (invalid byte sequence 22021, bad escape 22P05, value
// too long 22001...), class 23 "integrity constraint violation" (foreign key 23503, not null 23502...).
// Prisma's driver adapter carries the SQLSTATE either on the error's cause or in meta.driverAdapterError;
// pg's own DatabaseError (statements @capture/db sends straight on the pool) carries it as `code`, beside
// a `severity`.

interface AdapterCause {
  originalCode?: string;
  code?: string;
}

/** Prisma errors that name a row, not a connection: record to update is gone (P2025). */
const ROW_PRISMA_CODES = new Set(["P2025"]);

export function sqlState(err: unknown): string | undefined {
  const e = err as {
    code?: string;
    severity?: unknown;
    cause?: AdapterCause;
    meta?: { driverAdapterError?: { cause?: AdapterCause } };
  } | null;
  const cause = e?.meta?.driverAdapterError?.cause ?? e?.cause;
  const code = (typeof e?.severity === "string" ? e.code : undefined) ?? cause?.originalCode ?? cause?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return state.startsWith("22") || state.startsWith("23");
  const e = err as { name?: string; code?: unknown } | null;
  // A value Prisma refused to send at all (wrong type, bad enum) fails the same way on every retry.
  if (e?.name === "PrismaClientValidationError") return true;
  return typeof e?.code === "string" && ROW_PRISMA_CODES.has(e.code);
}
