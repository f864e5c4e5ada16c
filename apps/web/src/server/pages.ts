import { notFound } from "next/navigation";
import { isAppError } from "./errors.ts";

/** In pages: a NOT_FOUND AppError (including another team's id) renders the 404 page. */
export async function orNotFound<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isAppError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  }
}

export const fmtDate = (d: Date | number | null | undefined) =>
  d === null || d === undefined ? "—" : new Date(d).toISOString().replace("T", " ").slice(0, 19);

export function fmtDuration(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
