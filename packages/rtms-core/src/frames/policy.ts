// Which video frames a meeting keeps, per participant. Stored as JSON on the Meeting row (null = seed
// default) and edited in the portal, so the schema is strict and every error names the field.
import { z } from "zod";

/** Filters any policy may add; both are decided from metadata, before the frame is decoded. */
const filters = {
  /** Drop frames whose decoded size is under this many bytes (black or blank frames are tiny). */
  minBytes: z.number().int().min(0).max(50_000_000).optional(),
  /** Drop a frame identical to the participant's previous kept one (a frozen camera). */
  dropDuplicates: z.boolean().optional(),
};

export const FramePolicy = z.discriminatedUnion("kind", [
  /** The seed sample's behaviour: skip each participant's first frames (warm-up), keep the newest few. */
  z.strictObject({
    kind: z.literal("seed"),
    skipFirst: z.number().int().min(0).max(10_000).default(3),
    keepNewest: z.number().int().min(1).max(10_000).default(3),
    ...filters,
  }),
  /** Keep each participant's first n frames, then nothing. */
  z.strictObject({ kind: z.literal("firstN"), n: z.number().int().min(1).max(1_000_000), ...filters }),
  /** At most one frame per participant every `everyMs` of Zoom media time. */
  z.strictObject({
    kind: z.literal("interval"),
    everyMs: z.number().int().min(1).max(86_400_000),
    ...filters,
  }),
  /** Keep every frame. */
  z.strictObject({ kind: z.literal("all"), ...filters }),
]);
export type FramePolicy = z.infer<typeof FramePolicy>;
/** What a caller may write: defaults (skipFirst, keepNewest) may be left out. */
export type FramePolicyInput = z.input<typeof FramePolicy>;

export const DEFAULT_FRAME_POLICY: FramePolicy = { kind: "seed", skipFirst: 3, keepNewest: 3 };

export type ParseFramePolicyResult =
  | { ok: true; policy: FramePolicy }
  | { ok: false; code: "INVALID_FRAME_POLICY"; message: string };

/** null/undefined mean "the seed default" (how the Meeting row stores it); anything else must be valid. */
export function parseFramePolicy(input: unknown): ParseFramePolicyResult {
  if (input === null || input === undefined) return { ok: true, policy: DEFAULT_FRAME_POLICY };
  const parsed = FramePolicy.safeParse(input);
  if (parsed.success) return { ok: true, policy: parsed.data };
  return {
    ok: false,
    code: "INVALID_FRAME_POLICY",
    message: `invalid frame policy: ${z.prettifyError(parsed.error)}`,
  };
}
