import { db, redis } from "~/server/services.ts";

export const dynamic = "force-dynamic";

/** Liveness and readiness: answers 200 only when Postgres and Redis both answer. */
export async function GET() {
  const checks = await Promise.allSettled([db().$queryRaw`SELECT 1`, redis().ping()]);
  const [pg, rd] = checks.map((c) => (c.status === "fulfilled" ? "ok" : "down"));
  const ok = pg === "ok" && rd === "ok";
  return Response.json({ ok, postgres: pg, redis: rd }, { status: ok ? 200 : 503 });
}
