// A simulated meeting: who is in it, whose camera is on, who speaks. Streams listen to its changes and turn
// them into RTMS events and frames; the meeting itself knows nothing of sockets.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ZoomSimError } from "./errors.ts";
import type { Rgb } from "./frames/bitmap-font.ts";
import { colorFor } from "./frames/frame-cache.ts";

export interface SimParticipant {
  userId: number;
  name: string;
  camera: boolean;
  color: Rgb;
  /** Set when the participant is a Zoom Room that joined through the Rooms API. */
  roomId?: string;
}

export type MeetingChange =
  | { type: "join"; participant: SimParticipant }
  | { type: "leave"; participant: SimParticipant }
  | { type: "camera"; participant: SimParticipant; on: boolean }
  | { type: "speaker"; participant: SimParticipant };

export const participantInputSchema = z.object({
  name: z.string().min(1).max(200),
  userId: z.number().int().positive().optional(),
  camera: z.boolean().default(true),
  roomId: z.string().optional(),
});
export type ParticipantInput = z.input<typeof participantInputSchema>;

export const meetingInputSchema = z.object({
  number: z.union([z.string().regex(/^\d{9,12}$/, "9-12 digits"), z.number().int()]).transform(String),
  passcode: z.union([z.string(), z.number()]).transform(String).default(""),
  uuid: z.string().min(1).optional(),
  /** Who appears as operator_id in rtms_started. */
  hostId: z.string().min(1).optional(),
  participants: z.array(participantInputSchema).default([]),
});
export type MeetingInput = z.input<typeof meetingInputSchema>;

/** Zoom meeting UUIDs are base64 of 16 bytes and may start with "/" or contain "//": keep them as is. */
export function newMeetingUuid(): string {
  return randomBytes(16).toString("base64");
}

let nextUserId = 16_778_240;

export type ParticipantRef = number | string;

export class SimMeeting {
  readonly number: string;
  readonly passcode: string;
  readonly uuid: string;
  readonly hostId: string;
  readonly #participants = new Map<number, SimParticipant>();
  readonly #listeners = new Set<(change: MeetingChange) => void>();
  #explicitSpeaker: number | undefined;
  #lastSpeaker: number | undefined;

  constructor(input: MeetingInput) {
    const parsed = meetingInputSchema.safeParse(input);
    if (!parsed.success)
      throw new ZoomSimError("INVALID_ARGUMENT", `invalid meeting: ${z.prettifyError(parsed.error)}`);
    this.number = parsed.data.number;
    this.passcode = parsed.data.passcode;
    this.uuid = parsed.data.uuid ?? newMeetingUuid();
    this.hostId = parsed.data.hostId ?? `host-${randomBytes(6).toString("hex")}`;
    for (const p of parsed.data.participants) this.addParticipant(p);
  }

  onChange(listener: (change: MeetingChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get participants(): SimParticipant[] {
    return [...this.#participants.values()];
  }

  /** By user id, or by exact name. */
  find(ref: ParticipantRef): SimParticipant | undefined {
    if (typeof ref === "number") return this.#participants.get(ref);
    for (const p of this.#participants.values()) if (p.name === ref) return p;
    const asId = Number(ref);
    return Number.isInteger(asId) ? this.#participants.get(asId) : undefined;
  }

  #require(ref: ParticipantRef): SimParticipant {
    const p = this.find(ref);
    if (!p) throw new ZoomSimError("NOT_FOUND", `no participant ${ref} in meeting ${this.number}`);
    return p;
  }

  /** The active speaker: the one set explicitly while present, else whoever joined first. */
  get activeSpeaker(): SimParticipant | undefined {
    if (this.#explicitSpeaker !== undefined) {
      const p = this.#participants.get(this.#explicitSpeaker);
      if (p) return p;
    }
    return this.#participants.values().next().value;
  }

  addParticipant(input: ParticipantInput): SimParticipant {
    const parsed = participantInputSchema.safeParse(input);
    if (!parsed.success)
      throw new ZoomSimError("INVALID_ARGUMENT", `invalid participant: ${z.prettifyError(parsed.error)}`);
    const { name, camera, roomId } = parsed.data;
    const userId = parsed.data.userId ?? nextUserId++;
    if (this.#participants.has(userId))
      throw new ZoomSimError("CONFLICT", `user ${userId} is already in the meeting`);
    const participant: SimParticipant = {
      userId,
      name,
      camera,
      color: colorFor(name),
      ...(roomId ? { roomId } : {}),
    };
    this.#participants.set(userId, participant);
    this.#emit({ type: "join", participant });
    this.#checkSpeaker();
    return participant;
  }

  removeParticipant(ref: ParticipantRef): SimParticipant {
    const participant = this.#require(ref);
    this.#participants.delete(participant.userId);
    if (this.#explicitSpeaker === participant.userId) this.#explicitSpeaker = undefined;
    this.#emit({ type: "leave", participant });
    this.#checkSpeaker();
    return participant;
  }

  setCamera(ref: ParticipantRef, on: boolean): SimParticipant {
    const participant = this.#require(ref);
    if (participant.camera !== on) {
      participant.camera = on;
      this.#emit({ type: "camera", participant, on });
    }
    return participant;
  }

  setActiveSpeaker(ref: ParticipantRef): SimParticipant {
    const participant = this.#require(ref);
    this.#explicitSpeaker = participant.userId;
    this.#checkSpeaker();
    return participant;
  }

  #checkSpeaker(): void {
    const now = this.activeSpeaker;
    if (now?.userId === this.#lastSpeaker) return;
    this.#lastSpeaker = now?.userId;
    if (now) this.#emit({ type: "speaker", participant: now });
  }

  #emit(change: MeetingChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
