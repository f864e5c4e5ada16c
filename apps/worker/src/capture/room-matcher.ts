// A Zoom Room shows up in a stream as a participant named like the room. Recognising it is what confirms
// a room join (a 202 from the Rooms API only says Zoom accepted the request).
import type { Db } from "@capture/db";

export class RoomMatcher {
  #rooms = new Map<string, string>();

  /** Reloads the team's rooms: a first rooms sync may create them after the session started. */
  async load(db: Db, teamId: string): Promise<void> {
    const rooms = await db.zoomRoom.findMany({ where: { teamId }, select: { id: true, name: true } });
    this.#rooms = new Map(rooms.map((r) => [normalise(r.name), r.id]));
  }

  /** The team's room id for a participant of this name, if it is one of the team's rooms. */
  roomFor(name: string | undefined): string | undefined {
    return name ? this.#rooms.get(normalise(name)) : undefined;
  }
}

const normalise = (name: string) => name.trim().toLowerCase();
