// The CaptureSession row of one stream and its timeline (SessionEvent rows). Opening it decides whether
// this is a new session, one resumed from another worker, or a stream that already ended.
import type { CaptureMode, CaptureSession, Db, SessionEventType, SessionState } from "@capture/db";
import type { CaptureJob } from "@capture/jobs";
import { UnrecoverableError } from "bullmq";
import { dbText } from "./db-text.ts";
import type { FrameWriter, SessionPatch } from "./frame-writer.ts";

export type OpenedSession =
  | { kind: "already-ended"; state: SessionState }
  | { kind: "open"; record: SessionRecord; resumed: boolean };

export class SessionRecord {
  readonly #writer: FrameWriter;
  readonly #workerId: string;
  row: CaptureSession;

  private constructor(row: CaptureSession, writer: FrameWriter, workerId: string) {
    this.row = row;
    this.#writer = writer;
    this.#workerId = workerId;
  }

  static async open(o: {
    db: Db;
    job: CaptureJob;
    writer: FrameWriter;
    workerId: string;
    captureMode: CaptureMode;
  }): Promise<OpenedSession> {
    const { db, job, workerId } = o;
    const existing = await db.captureSession.findUnique({ where: { rtmsStreamId: job.rtmsStreamId } });
    // Intake refuses another team's events for a stream (zoom-events.ts); this is the last line: a job
    // never takes over, or writes into, a session row another team owns.
    if (existing && existing.teamId !== job.teamId) {
      throw new UnrecoverableError(
        `STREAM_OWNED_BY_ANOTHER_TEAM: stream ${job.rtmsStreamId} belongs to another team's session`,
      );
    }
    if (existing && (existing.state === "STOPPED" || existing.state === "FAILED")) {
      return { kind: "already-ended", state: existing.state };
    }
    const resumed = existing !== null && existing.state !== "PENDING";
    const row = await db.captureSession.upsert({
      where: { rtmsStreamId: job.rtmsStreamId },
      create: {
        teamId: job.teamId,
        meetingId: job.meetingId,
        rtmsStreamId: job.rtmsStreamId,
        meetingUuid: job.meetingUuid,
        operatorId: job.operatorId,
        serverUrls: job.serverUrls,
        state: "CONNECTING",
        captureMode: o.captureMode,
        workerId,
      },
      update: {
        serverUrls: job.serverUrls,
        state: "CONNECTING",
        workerId,
        // A resumed session keeps the mode it started with; one that never connected takes today's.
        ...(resumed ? { reconnectCount: { increment: 1 } } : { captureMode: o.captureMode }),
      },
    });
    return { kind: "open", record: new SessionRecord(row, o.writer, workerId), resumed };
  }

  get id(): string {
    return this.row.id;
  }

  /** The session is held by this worker in this state. */
  state(state: SessionState): void {
    this.#writer.patchSession(this.row.id, { state, workerId: this.#workerId });
  }

  patch(patch: SessionPatch): void {
    this.#writer.patchSession(this.row.id, patch);
  }

  /** One timeline entry; string values are made safe for Postgres (they come from Zoom). */
  event(type: SessionEventType, zoomUserId?: string, data?: Record<string, unknown>): void {
    const clean = data
      ? JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === "string" ? dbText(v) : v)))
      : undefined;
    this.#writer.event({ sessionId: this.row.id, type, zoomUserId, data: clean });
  }
}
