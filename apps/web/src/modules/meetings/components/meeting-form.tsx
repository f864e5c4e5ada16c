"use client";
import { useState } from "react";
import { ActionForm, FieldError } from "~/components/action-form.tsx";
import type { FormState } from "~/server/form-state.ts";
import { CAPTURE_MODE_LABELS, CAPTURE_MODES, DWELL_SEC } from "../lib/capture-mode.ts";

export interface MeetingFormValues {
  name: string;
  meetingNumber: string;
  hasPasscode: boolean;
  roomIds: string[];
  roomLeaveDelaySec: number;
  capture: { captureMode: string; dwellSec: string };
  policy: {
    policyKind: string;
    skipFirst: string;
    keepNewest: string;
    n: string;
    everySec: string;
    minBytes: string;
    dropDuplicates: boolean;
  };
}

export function MeetingForm({
  action,
  rooms,
  values,
  readOnly,
  submitLabel,
}: {
  action: (s: FormState, f: FormData) => Promise<FormState>;
  rooms: { id: string; name: string; status: string }[];
  values: MeetingFormValues;
  readOnly: boolean;
  submitLabel: string;
}) {
  const [kind, setKind] = useState(values.policy.policyKind);
  const [mode, setMode] = useState(values.capture.captureMode);
  return (
    <ActionForm action={action} submitLabel={readOnly ? undefined : submitLabel}>
      <fieldset disabled={readOnly}>
        <legend>Meeting</legend>
        <label>
          Name
          <input name="name" defaultValue={values.name} required maxLength={200} />
          <FieldError name="name" />
        </label>
        <label>
          Meeting number <span className="hint">9 to 11 digits; spaces and dashes are ignored</span>
          <input name="meetingNumber" defaultValue={values.meetingNumber} required inputMode="numeric" />
          <FieldError name="meetingNumber" />
        </label>
        <label>
          Passcode{" "}
          <span className="hint">
            {values.hasPasscode ? "A passcode is stored: leave blank to keep it" : "Rooms use it to join"}
          </span>
          <input name="passcode" type="password" autoComplete="off" maxLength={10} />
          <FieldError name="passcode" />
        </label>
        {values.hasPasscode ? (
          <label className="check">
            <input type="checkbox" name="clearPasscode" /> Remove the stored passcode
          </label>
        ) : null}
      </fieldset>

      <fieldset disabled={readOnly}>
        <legend>Video to capture</legend>
        <label>
          Capture mode{" "}
          <span className="hint">
            {mode === "SPEAKER"
              ? "only whoever speaks is captured: quiet participants get no frames"
              : "the capture moves through every participant whose camera is on"}
          </span>
          <select name="captureMode" value={mode} onChange={(e) => setMode(e.target.value)}>
            {CAPTURE_MODES.map((m) => (
              <option key={m} value={m}>
                {CAPTURE_MODE_LABELS[m]}
              </option>
            ))}
          </select>
          <FieldError name="captureMode" />
        </label>
        <label>
          Dwell per participant (seconds){" "}
          <span className="hint">
            {DWELL_SEC.min} to {DWELL_SEC.max}; how long each camera is watched per turn (Everyone mode)
          </span>
          <input
            name="dwellSec"
            type="number"
            min={DWELL_SEC.min}
            max={DWELL_SEC.max}
            step="any"
            defaultValue={values.capture.dwellSec}
          />
          <FieldError name="dwellSec" />
        </label>
      </fieldset>

      <fieldset disabled={readOnly}>
        <legend>Frames to keep (per participant)</legend>
        <label>
          Policy
          <select name="policyKind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="default">Default: skip the first 3, keep the newest 3</option>
            <option value="seed">Skip the first N, keep the newest M</option>
            <option value="firstN">Keep the first N</option>
            <option value="interval">One frame every T seconds</option>
            <option value="all">Keep every frame</option>
          </select>
        </label>
        {kind === "seed" ? (
          <div className="row">
            <label>
              Skip first
              <input name="skipFirst" type="number" min={0} defaultValue={values.policy.skipFirst} />
            </label>
            <label>
              Keep newest
              <input name="keepNewest" type="number" min={1} defaultValue={values.policy.keepNewest} />
            </label>
          </div>
        ) : null}
        {kind === "firstN" ? (
          <label>
            N
            <input name="n" type="number" min={1} defaultValue={values.policy.n} />
          </label>
        ) : null}
        {kind === "interval" ? (
          <label>
            Every (seconds)
            <input
              name="everySec"
              type="number"
              min={0.001}
              step="any"
              defaultValue={values.policy.everySec}
            />
          </label>
        ) : null}
        {kind !== "default" ? (
          <div className="row">
            <label>
              Drop frames under (bytes) <span className="hint">optional</span>
              <input name="minBytes" type="number" min={0} defaultValue={values.policy.minBytes} />
            </label>
            <label className="check">
              <input type="checkbox" name="dropDuplicates" defaultChecked={values.policy.dropDuplicates} />{" "}
              Drop duplicate frames
            </label>
          </div>
        ) : null}
        <FieldError name="framePolicy" />
      </fieldset>

      <fieldset disabled={readOnly}>
        <legend>Zoom Rooms that join</legend>
        {rooms.length === 0 ? (
          <p className="muted small">No rooms yet: sync or add them on the Rooms page.</p>
        ) : null}
        {rooms.map((r) => (
          <label key={r.id} className="check">
            <input
              type="checkbox"
              name="roomIds"
              value={r.id}
              defaultChecked={values.roomIds.includes(r.id)}
            />
            {r.name} <span className={`badge ${r.status}`}>{r.status}</span>
          </label>
        ))}
        <FieldError name="roomIds" />
        <label>
          Leave delay (seconds after the stream ends)
          <input
            name="roomLeaveDelaySec"
            type="number"
            min={0}
            max={86400}
            defaultValue={values.roomLeaveDelaySec}
          />
          <FieldError name="roomLeaveDelaySec" />
        </label>
      </fieldset>
    </ActionForm>
  );
}
