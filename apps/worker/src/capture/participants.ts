// The people of one capture session as the database sees them: their folder names (first name seen, so a
// rename does not move a gallery), which of them are the team's Zoom Rooms, and their camera state, from
// which the portal derives coverage (camera-on participants with at least one kept frame).
import type { Participant } from "@capture/db";
import type { Logger } from "../logger.ts";
import { dbText } from "./db-text.ts";
import type { FrameWriter, ParticipantCamera } from "./frame-writer.ts";
import type { RoomMatcher } from "./room-matcher.ts";
import type { StreamParticipant } from "./stream.ts";

export class SessionParticipants {
  readonly #sessionId: string;
  readonly #writer: FrameWriter;
  readonly #rooms: RoomMatcher;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #names = new Map<string, string>();
  readonly #roomParticipants = new Set<string>();
  readonly #cameras = new Map<string, ParticipantCamera>();

  constructor(o: {
    sessionId: string;
    writer: FrameWriter;
    rooms: RoomMatcher;
    log: Logger;
    now?: () => number;
  }) {
    this.#sessionId = o.sessionId;
    this.#writer = o.writer;
    this.#rooms = o.rooms;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
  }

  /** A resumed session keeps names (folders do not move) and camera time from the rows. */
  restore(rows: readonly Participant[]): void {
    for (const p of rows) {
      this.#names.set(p.zoomUserId, p.name);
      this.#cameras.set(p.zoomUserId, {
        videoOn: p.videoOn,
        firstVideoOnAt: p.firstVideoOnAt,
        videoOnMs: p.videoOnMs,
        videoOnSince: p.videoOnSince,
      });
    }
  }

  /** The folder name for this participant: the first name seen, made safe for the database. */
  nameFor(p: StreamParticipant): string {
    let name = this.#names.get(p.userId);
    if (name === undefined) {
      name = dbText(p.userName ?? "");
      this.#names.set(p.userId, name);
    }
    return name || "participant";
  }

  isRoom(userId: string): boolean {
    return this.#roomParticipants.has(userId);
  }

  /** Records the participant; a Zoom Room is recognised by name, which is what confirms its join. */
  touch(p: StreamParticipant): void {
    const name = this.nameFor(p);
    const roomId = this.#rooms.roomFor(p.userName ?? this.#names.get(p.userId));
    if (roomId && !this.#roomParticipants.has(p.userId)) {
      this.#roomParticipants.add(p.userId);
      this.#log.info({ roomId, userId: p.userId }, "a Zoom Room joined the stream");
    }
    this.#writer.participant({ sessionId: this.#sessionId, zoomUserId: p.userId, name, roomId });
  }

  /** A Zoom Room may be recognised by the name its frames carry before any join event named it. */
  seenInFrame(p: StreamParticipant): void {
    if (!this.#roomParticipants.has(p.userId) && this.#rooms.roomFor(p.userName ?? this.#names.get(p.userId)))
      this.touch(p);
  }

  /** After the team's rooms were reloaded: participants already seen under a room's name become rooms. */
  rematchRooms(): void {
    for (const [userId, userName] of this.#names) {
      if (!this.#roomParticipants.has(userId) && this.#rooms.roomFor(userName))
        this.touch({ userId, userName });
    }
  }

  videoOn(p: StreamParticipant): void {
    const now = new Date(this.#now());
    const cam = this.#camera(p.userId);
    if (cam.videoOn) return;
    this.#setCamera(p, {
      ...cam,
      videoOn: true,
      firstVideoOnAt: cam.firstVideoOnAt ?? now,
      videoOnSince: now,
    });
  }

  videoOff(p: StreamParticipant): void {
    const cam = this.#cameras.get(p.userId);
    if (!cam?.videoOn) return;
    this.#setCamera(p, closed(cam, this.#now()));
  }

  /** The session ends: every camera still on stops counting time. */
  closeAllCameras(): void {
    const now = this.#now();
    for (const [userId, cam] of this.#cameras) {
      if (cam.videoOn) this.#setCamera({ userId }, closed(cam, now));
    }
  }

  /** Who has a camera on right now, as restored or seen. */
  get camerasOn(): string[] {
    return [...this.#cameras].filter(([, c]) => c.videoOn).map(([userId]) => userId);
  }

  #camera(userId: string): ParticipantCamera {
    return (
      this.#cameras.get(userId) ?? { videoOn: false, firstVideoOnAt: null, videoOnMs: 0, videoOnSince: null }
    );
  }

  #setCamera(p: StreamParticipant, camera: ParticipantCamera): void {
    this.#cameras.set(p.userId, camera);
    this.#writer.participant({
      sessionId: this.#sessionId,
      zoomUserId: p.userId,
      name: this.nameFor(p),
      roomId: this.#rooms.roomFor(p.userName ?? this.#names.get(p.userId)),
      camera,
    });
  }
}

function closed(cam: ParticipantCamera, now: number): ParticipantCamera {
  const stretch = cam.videoOnSince ? Math.max(0, now - cam.videoOnSince.getTime()) : 0;
  return { ...cam, videoOn: false, videoOnMs: cam.videoOnMs + stretch, videoOnSince: null };
}
