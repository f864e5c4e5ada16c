// The scenario file format (YAML or JSON): one meeting, its rooms and first participants, and a timeline of
// what happens when. Validated with zod; semantic checks (names that are never declared, a loop shorter
// than the timeline) are done here too, so a bad file fails at load time with its path in the message.
import { z } from "zod";
import { faultCommandSchema } from "../fault-commands.ts";
import { participantInputSchema } from "../meeting.ts";
import { ROOM_STATUSES, roomInputSchema } from "../rooms.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1m30s", "500ms", "5s", "2h", or a number of seconds -> milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (!text) return undefined;
  let total = 0;
  let rest = text;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  while (rest) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (use e.g. 90, "1m30s", "500ms")` });
    return z.NEVER;
  }
  return ms;
});

const participantRef = z.union([z.string().min(1), z.number().int()]);

const stepSchema = z
  .object({
    at: durationSchema,
    join: participantInputSchema.optional(),
    leave: participantRef.optional(),
    camera: z.object({ participant: participantRef, on: z.boolean() }).strict().optional(),
    speaker: participantRef.optional(),
    room: z
      .object({ id: z.string().min(1), status: z.enum(ROOM_STATUSES) })
      .strict()
      .optional(),
    fault: faultCommandSchema.optional(),
    rtms: z
      .union([
        z.enum(["start", "stop", "pause", "resume"]),
        z.object({ action: z.literal("stop"), reason: z.number().int().min(0) }).strict(),
      ])
      .optional(),
  })
  .strict()
  .superRefine((step, ctx) => {
    const actions = ["join", "leave", "camera", "speaker", "room", "fault", "rtms"].filter(
      (k) => step[k as keyof typeof step] !== undefined,
    );
    if (actions.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `a step needs exactly one action (join, leave, camera, speaker, room, fault, rtms); got ${actions.length ? actions.join(", ") : "none"}`,
      });
    }
  });
export type ScenarioStep = z.output<typeof stepSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().optional(),
    meeting: z
      .object({
        number: z
          .union([z.string().regex(/^\d{9,12}$/, "a meeting number has 9-12 digits"), z.number().int()])
          .transform(String),
        passcode: z.union([z.string(), z.number()]).transform(String).default(""),
        uuid: z.string().min(1).optional(),
        hostId: z.string().min(1).optional(),
      })
      .strict(),
    /** When rtms_started goes out: once an event-WS client or webhook target is ready (events are not replayed). */
    start: z.enum(["on-consumer", "immediately", "never"]).default("on-consumer"),
    rooms: z.array(roomInputSchema.strict()).default([]),
    participants: z.array(participantInputSchema.strict()).default([]),
    timeline: z.array(stepSchema).default([]),
    /** Run the timeline again every `loop` (measured from the stream start). */
    loop: durationSchema.optional(),
    /** Stop the stream (meeting ended, reason 6) after this long. */
    duration: durationSchema.optional(),
    /** If the stream stops before the scenario ends, start a new one after this delay. */
    restartAfter: durationSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const known = new Set<string>([...s.participants.map((p) => p.name), ...s.rooms.map((r) => r.name)]);
    for (const step of s.timeline) if (step.join) known.add(step.join.name);
    const roomIds = new Set(s.rooms.map((r) => r.id));
    s.timeline.forEach((step, i) => {
      for (const ref of [step.leave, step.camera?.participant, step.speaker]) {
        if (typeof ref === "string" && !known.has(ref)) {
          ctx.addIssue({
            code: "custom",
            path: ["timeline", i],
            message: `"${ref}" is not a participant, a joining participant or a room of this scenario`,
          });
        }
      }
      if (step.room && !roomIds.has(step.room.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["timeline", i, "room", "id"],
          message: `no room "${step.room.id}" declared`,
        });
      }
    });
    const last = Math.max(0, ...s.timeline.map((t) => t.at));
    if (s.loop !== undefined && s.loop <= last) {
      ctx.addIssue({
        code: "custom",
        path: ["loop"],
        message: `loop (${s.loop} ms) must be longer than the last step (${last} ms)`,
      });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
