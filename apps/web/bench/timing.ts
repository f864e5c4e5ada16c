// Latency helpers shared by the web benches: nearest-rank percentiles and a GET loop that times each
// request, body included, and fails loudly on a non-2xx answer (a fast error is not a fast page).

/** Nearest-rank p-th percentile (0–100) of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `n` GETs of `url` over `concurrency` loops; p50/p95/p99 in ms and the last body's size. */
export async function measureGets(url: string, headers: Record<string, string>, n: number, concurrency = 1) {
  const times: number[] = [];
  let bytes = 0;
  let next = 0;
  const one = async () => {
    while (next < n) {
      next++;
      const t0 = performance.now();
      const res = await fetch(url, { headers });
      const body = Buffer.from(await res.arrayBuffer());
      times.push(performance.now() - t0);
      if (!res.ok) throw new Error(`${url}: ${res.status} ${body.toString().slice(0, 200)}`);
      bytes = body.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), bytes };
}
