// Runs in a worker thread so that producing frames does not eat the measured thread's time. Plain JS: the
// worker needs no TypeScript loader. Each connection sends `count` frames (from a prebuilt ring) as fast as
// the socket drains, keeping a few sends in flight.
import { parentPort, workerData } from "node:worker_threads";
import { WebSocketServer } from "ws";

const { ring } = workerData;
const frames = ring.map((u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
wss.on("listening", () => parentPort.postMessage({ port: wss.address().port }));
wss.on("connection", (ws, req) => {
  // The stream length comes in the URL (?count=n): the client never has to speak first.
  const count = Number(new URL(req.url ?? "/", "http://bench").searchParams.get("count") ?? 0);
  {
    let sent = 0;
    let inFlight = 0;
    const pump = () => {
      while (inFlight < 8 && sent < count) {
        inFlight++;
        ws.send(frames[sent % frames.length], { binary: false }, () => {
          inFlight--;
          pump();
        });
        sent++;
      }
    };
    pump();
  }
});
parentPort.on("message", (m) => {
  if (m === "close") wss.close(() => process.exit(0));
});
