// Reading the worker's Prometheus /metrics from a bench: samples, deltas between scrapes, histogram
// quantiles, and a free loopback port for the worker's health server.
import { createServer } from "node:net";

export type Samples = Map<string, number>;

/** Prometheus text -> "name{labels}" -> value. */
export function parseMetrics(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** p-quantile of a histogram's growth between two scrapes, interpolated inside the bucket. */
export function histogramQuantile(name: string, before: Samples, after: Samples, q: number) {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, value] of after) {
    const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(key);
    if (!m) continue;
    buckets.push({
      le: m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]),
      count: value - (before.get(key) ?? 0),
    });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return { value: Number.NaN, samples: 0 };
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return { value: prevLe, samples: total, overflow: true };
      const within = b.count - prevCount;
      const value = prevLe + (within > 0 ? ((rank - prevCount) / within) * (b.le - prevLe) : 0);
      return { value, samples: total };
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return { value: Number.NaN, samples: total };
}

export const delta = (name: string, before: Samples, after: Samples) =>
  (after.get(name) ?? 0) - (before.get(name) ?? 0);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
