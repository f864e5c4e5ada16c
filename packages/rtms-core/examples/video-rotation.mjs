// Example 2: individual-video rotation. With data_opt 4 Zoom sends ONE chosen participant's video;
// VideoRotation moves the subscription through everyone whose camera is on (events 8/9), so each camera
// gets frames, not only the active speaker's. Takes the stream from the environment, as rtms_started gives it:
// RTMS_SERVER_URLS, MEETING_UUID, RTMS_STREAM_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET
// [RTMS_ALLOWED_HOSTS] [ROTATE_MS=5000] [RUN_SECONDS=30]. Prints each turn and a frame count per participant.
import {
  DataOpt,
  DEFAULT_ALLOWED_HOSTS,
  parseAllowedHosts,
  RtmsSession,
  VideoRotation,
} from "@capture/rtms-core";

const env = process.env;
const session = new RtmsSession({
  clientId: env.ZOOM_CLIENT_ID,
  clientSecret: env.ZOOM_CLIENT_SECRET,
  meetingUuid: env.MEETING_UUID,
  rtmsStreamId: env.RTMS_STREAM_ID,
  serverUrls: env.RTMS_SERVER_URLS,
  allowedHosts: env.RTMS_ALLOWED_HOSTS
    ? parseAllowedHosts(env.RTMS_ALLOWED_HOSTS).patterns
    : DEFAULT_ALLOWED_HOSTS,
  media: { video: { dataOpt: DataOpt.VIDEO_SINGLE_INDIVIDUAL_STREAM }, audio: false },
});
const frames = {};
session.on("frame", (f) => {
  if (f.mediaType === "video") frames[f.userId] = (frames[f.userId] ?? 0) + 1;
});
const rotation = new VideoRotation(session, {
  intervalMs: Number(env.ROTATE_MS ?? 5_000),
  // A turn may end early once the participant has sent this many frames.
  framesPerTurn: 3,
  onEvent: (e) => console.log(JSON.stringify({ rotation: e })),
});

await session.start();
rotation.start();
console.log(JSON.stringify({ connected: session.rtmsStreamId }));
const finish = async () => {
  rotation.stop();
  await session.close();
  console.log(JSON.stringify({ framesPerParticipant: frames }));
  process.exit(0);
};
setTimeout(finish, Number(env.RUN_SECONDS ?? 30) * 1_000);
process.on("SIGINT", finish);
