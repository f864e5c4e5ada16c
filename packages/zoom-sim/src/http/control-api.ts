// /_sim/*: JSON control routes for the CLI and for anything outside the process (the demo, manual pokes).
// Each route is a thin shell over a ZoomSim method; bodies are validated with zod.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { applyFault, faultCommandSchema } from "../fault-commands.ts";
import { participantInputSchema } from "../meeting.ts";
import { ROOM_STATUSES, roomInputSchema, roomToApi } from "../rooms.ts";
import type { ControlTarget } from "../sim-control.ts";
import { HttpError, readJson, sendJson } from "./util.ts";

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, { code: "INVALID_ARGUMENT", message: z.prettifyError(r.error) });
  return r.data;
}

const refSchema = z.union([z.number().int(), z.string().min(1)]);

/** A JSON picture of the simulator: meetings, participants, streams and their counters, rooms, targets. */
export function describeSim(sim: ControlTarget) {
  return {
    urls: sim.urls,
    settings: {
      keepAliveIntervalMs: sim.options.keepAliveIntervalMs,
      videoSubscriptionDelayMs: sim.options.videoSubscriptionDelayMs,
    },
    consumerReady: sim.consumerReady,
    eventWsClients: sim.eventWsClients,
    meetings: [...sim.meetings.values()].map((m) => ({
      number: m.number,
      uuid: m.uuid,
      activeSpeaker: m.activeSpeaker?.userId ?? null,
      participants: m.participants.map((p) => ({
        userId: p.userId,
        name: p.name,
        camera: p.camera,
        roomId: p.roomId ?? null,
      })),
      streamId: m.stream?.id ?? null,
    })),
    streams: [...sim.streams.values()].map((s) => ({
      streamId: s.id,
      meetingNumber: s.meeting.number,
      phase: s.phase,
      stopReason: s.stopReason ?? null,
      serverUrls: s.info.serverUrls,
      open: s.openSockets,
      counters: s.counters,
    })),
    rooms: sim.rooms.list().map((r) => ({ ...roomToApi(r), meetingNumber: r.meetingNumber ?? null })),
    webhookTargets: sim.webhooks.targets,
    faults: {
      binaryJson: sim.faults.binaryJson,
      oldStatusNumbering: sim.faults.oldStatusNumbering,
      keepAlive: sim.faults.keepAlive,
      tokenDelayMs: sim.faults.tokenDelayMs,
      videoSubscriptionRefusals: sim.faults.videoSubscriptionRefusals,
      hostile: sim.faults.hostile,
    },
  };
}

export class ControlApi {
  constructor(private readonly sim: ControlTarget) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string, _url: URL): Promise<void> {
    const sim = this.sim;
    const method = req.method ?? "GET";
    const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
    const ok = (body: unknown = { ok: true }) => sendJson(res, 200, body);

    if (method === "GET" && seg.length === 1 && seg[0] === "health") return ok({ ok: true });
    if (method === "GET" && seg.length === 1 && seg[0] === "state") return ok(describeSim(sim));
    const body = method === "GET" || method === "DELETE" ? {} : await readJson(req);

    if (seg[0] === "meetings") {
      if (method === "POST" && seg.length === 1) {
        const m = sim.createMeeting(body);
        return ok({ number: m.number, uuid: m.uuid, passcode: m.passcode });
      }
      const meeting = sim.requireMeeting(seg[1] ?? "");
      if (method === "POST" && seg[2] === "rtms" && seg[3] === "start") {
        const opts = parse(z.object({ waitForConsumer: z.boolean().default(false) }), body);
        return ok(await meeting.startRtms(opts));
      }
      if (method === "POST" && seg[2] === "rtms" && seg[3] === "stop") {
        const { reason } = parse(z.object({ reason: z.number().int().min(0).default(6) }), body);
        meeting.stopRtms(reason);
        return ok();
      }
      if (seg[2] === "participants") {
        if (method === "POST" && seg.length === 3)
          return ok(meeting.addParticipant(parse(participantInputSchema, body)));
        const ref = seg[3] ?? "";
        const pRef = /^\d+$/.test(ref) ? Number(ref) : ref;
        if (method === "DELETE" && seg.length === 4) return ok(meeting.removeParticipant(pRef));
        if (method === "POST" && seg[4] === "camera") {
          const { on } = parse(z.object({ on: z.boolean() }), body);
          return ok(meeting.setCamera(pRef, on));
        }
      }
      if (method === "POST" && seg[2] === "speaker") {
        const { participant } = parse(z.object({ participant: refSchema }), body);
        return ok(meeting.setActiveSpeaker(participant));
      }
    }
    if (seg[0] === "streams" && seg[1] && method === "POST") {
      const stream = sim.requireStream(seg[1]);
      if (seg[2] === "stop") {
        stream.stop(parse(z.object({ reason: z.number().int().min(0).default(6) }), body).reason);
        return ok();
      }
      if (seg[2] === "pause") return ok(stream.pause());
      if (seg[2] === "resume") return ok(stream.resume());
    }
    if (seg[0] === "rooms") {
      if (method === "POST" && seg.length === 1)
        return ok(roomToApi(sim.addRoom(parse(roomInputSchema, body))));
      if (method === "PATCH" && seg[1]) {
        const { status } = parse(z.object({ status: z.enum(ROOM_STATUSES) }), body);
        return ok(roomToApi(sim.rooms.setStatus(seg[1], status)));
      }
    }
    if (seg[0] === "webhooks" && method === "POST") {
      if (seg[1] === "redeliver") {
        const { event } = parse(z.object({ event: z.string().optional() }), body);
        return ok({ redelivered: sim.webhooks.redeliver(event) });
      }
      const { url, validate } = parse(z.object({ url: z.url(), validate: z.boolean().default(true) }), body);
      return ok(await sim.webhooks.addTarget(url, { validate }));
    }
    if (seg[0] === "faults" && method === "POST")
      return ok({ affected: applyFault(sim, parse(faultCommandSchema, body)) });
    throw new HttpError(404, { code: "NOT_FOUND", message: `no control route ${method} /_sim${path}` });
  }
}
