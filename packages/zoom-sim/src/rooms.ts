// The account's Zoom Rooms. The REST API reads and changes them; joining a meeting turns a room into a
// participant with its camera on (done by the simulator, which owns meetings).
import { z } from "zod";
import { ZoomSimError } from "./errors.ts";

export const ROOM_STATUSES = ["Offline", "Available", "InMeeting", "UnderConstruction"] as const;
export type RoomStatus = (typeof ROOM_STATUSES)[number];

export const roomInputSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(ROOM_STATUSES).default("Available"),
  roomId: z.string().min(1).optional(),
  locationId: z.string().optional(),
});
export type RoomInput = z.input<typeof roomInputSchema>;

export interface SimRoom {
  id: string;
  /** Zoom's second identifier; the events API takes `id`, not this. */
  roomId: string;
  name: string;
  locationId: string;
  status: RoomStatus;
  /** The meeting it is in (number), once joined. */
  meetingNumber?: string;
  /** Its participant id in that meeting. */
  userId?: number;
}

/** The shape GET /v2/rooms returns for a room. */
export function roomToApi(room: SimRoom) {
  return {
    id: room.id,
    room_id: room.roomId,
    name: room.name,
    location_id: room.locationId,
    status: room.status,
  };
}

export class RoomRegistry {
  readonly #rooms = new Map<string, SimRoom>();

  add(input: RoomInput): SimRoom {
    const parsed = roomInputSchema.safeParse(input);
    if (!parsed.success)
      throw new ZoomSimError("INVALID_ARGUMENT", `invalid room: ${z.prettifyError(parsed.error)}`);
    const r = parsed.data;
    if (this.#rooms.has(r.id)) throw new ZoomSimError("CONFLICT", `room ${r.id} already exists`);
    const room: SimRoom = {
      id: r.id,
      roomId: r.roomId ?? `rm-${r.id}`,
      name: r.name,
      locationId: r.locationId ?? "",
      status: r.status,
    };
    this.#rooms.set(room.id, room);
    return room;
  }

  get(id: string): SimRoom | undefined {
    return this.#rooms.get(id);
  }

  require(id: string): SimRoom {
    const room = this.#rooms.get(id);
    if (!room) throw new ZoomSimError("NOT_FOUND", `no room ${id}`);
    return room;
  }

  list(): SimRoom[] {
    return [...this.#rooms.values()];
  }

  setStatus(id: string, status: RoomStatus): SimRoom {
    const room = this.require(id);
    room.status = status;
    return room;
  }
}
