// Runs the example consumer: `CAPTURE_WEBHOOK_SECRET=whsec_... pnpm start` (see the README).
// Prints one JSON log line per request; the first says which port it listens on.
import { createConsumer } from "./consumer.ts";

const secret = process.env.CAPTURE_WEBHOOK_SECRET;
if (!secret) {
  process.stderr.write("Set CAPTURE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...)\n");
  process.exit(2);
}
const consumer = createConsumer({
  secret,
  outFile: process.env.OUT_FILE ?? "frames.jsonl",
  apiToken: process.env.CAPTURE_API_TOKEN || undefined,
  toleranceSec: Number(process.env.SIGNATURE_TOLERANCE_SEC ?? 300),
});
const port = await consumer.listen(Number(process.env.PORT ?? 8787), process.env.HOST ?? "127.0.0.1");
process.stdout.write(`${JSON.stringify({ msg: "listening", port })}\n`);

const stop = () => {
  void consumer.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
