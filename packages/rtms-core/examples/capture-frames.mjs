// Example 1: capture JPG frames from a webhook. For every verified meeting.rtms_started, open an RtmsSession
// (JPG video, no audio) and write the first FRAMES_PER_PARTICIPANT frames of each participant to
// FRAMES_DIR/<stream>/<user>-<timestamp>.jpg. meeting.rtms_stopped ends the session.
// Run: ZOOM_SECRET_TOKEN=... ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... PORT=8080 node capture-frames.mjs
// RTMS_ALLOWED_HOSTS lists where the client may connect (default Zoom's domains; `127.0.0.1` for zoom-sim).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_ALLOWED_HOSTS, parseAllowedHosts, RtmsSession } from "@capture/rtms-core";
import { createWebhookHandler, listen } from "./verify-webhook.mjs";

const env = process.env;
const framesDir = env.FRAMES_DIR ?? "frames";
const perParticipant = Number(env.FRAMES_PER_PARTICIPANT ?? 3);
const allowedHosts = env.RTMS_ALLOWED_HOSTS
  ? parseAllowedHosts(env.RTMS_ALLOWED_HOSTS).patterns
  : DEFAULT_ALLOWED_HOSTS;
const sessions = new Map();
const print = (line) => console.log(JSON.stringify(line));

function startCapture({ meetingUuid, rtmsStreamId, serverUrls }) {
  if (sessions.has(rtmsStreamId)) return sessions.get(rtmsStreamId).failover(serverUrls);
  const session = new RtmsSession({
    clientId: env.ZOOM_CLIENT_ID,
    clientSecret: env.ZOOM_CLIENT_SECRET,
    meetingUuid,
    rtmsStreamId,
    serverUrls,
    allowedHosts,
    // The defaults are JPG, HD, 5 fps, active speaker; audio is not needed for pictures.
    media: { video: {}, audio: false },
  });
  sessions.set(rtmsStreamId, session);
  const saved = new Map();
  const dir = path.join(framesDir, rtmsStreamId.replace(/[^\w-]/g, "_"));
  session.on("frame", async (frame) => {
    // Decide from the metadata first: frames beyond the quota are never decoded.
    const count = saved.get(frame.userId) ?? 0;
    if (frame.mediaType !== "video" || count >= perParticipant) return;
    saved.set(frame.userId, count + 1);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${frame.userId.replace(/[^\w-]/g, "_")}-${frame.timestamp}.jpg`);
    await writeFile(file, frame.decode());
    print({ saved: file, userId: frame.userId, userName: frame.userName });
  });
  session.on("stopped", (stop) => {
    sessions.delete(rtmsStreamId);
    print({ stopped: rtmsStreamId, reason: stop.reasonText, source: stop.source });
  });
  session.start().catch((err) => print({ failed: rtmsStreamId, code: err.code, message: err.message }));
}

const { url } = await listen(
  createWebhookHandler({
    secretToken: env.ZOOM_SECRET_TOKEN,
    onEvent: (event) => {
      if (event.kind === "rtms_started") startCapture(event.payload);
      if (event.kind === "rtms_stopped")
        sessions.get(event.payload.rtmsStreamId)?.markStopped(event.payload.stopReason ?? 0);
    },
  }),
);
print({ listening: url });
