// The capture modes and dwell bounds as plain constants: the client form imports this file, so it must
// stay free of server code (form.ts, which validates with them, pulls in rtms-core's frames).
import type { CaptureMode } from "@capture/db";

export const CAPTURE_MODES = ["EVERYONE", "SPEAKER"] as const satisfies readonly CaptureMode[];

export const CAPTURE_MODE_LABELS: Record<CaptureMode, string> = {
  EVERYONE: "Everyone: every camera in turn",
  SPEAKER: "Active speaker",
};

/** What a new meeting starts with (the schema's defaults: EVERYONE, 2000 ms). */
export const DEFAULT_CAPTURE = { captureMode: "EVERYONE", dwellSec: 2 } as const;

/**
 * Seconds one participant keeps the video subscription per turn (EVERYONE mode). The floor leaves a turn
 * room for a frame after each switch; the ceiling keeps one round of a 20-person meeting under ten minutes.
 */
export const DWELL_SEC = { min: 1, max: 30 } as const;
