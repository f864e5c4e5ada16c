"use client";
// The session page's live part: starts from the server-rendered snapshot and follows the SSE stream.
import Link from "next/link";
import { useEffect, useState } from "react";
import { CAPTURE_MODE_LABELS } from "~/modules/meetings/lib/capture-mode.ts";
import { CaptureDropsNotice } from "~/modules/privacy/components/capture-drops-notice.tsx";
import { describeCoverage, formatMs, participantCoverage } from "../lib/coverage.ts";
import type { SessionSnapshot } from "../lib/sessions.ts";
import { TimelineChart } from "./timeline-chart.tsx";

const LIVE = new Set(["PENDING", "CONNECTING", "ACTIVE", "RECONNECTING", "PAUSED"]);

function duration(sec: number) {
  const m = Math.floor(sec / 60);
  return m > 0 ? `${m}m ${sec % 60}s` : `${sec}s`;
}

export function LiveSession({ initial }: { initial: SessionSnapshot }) {
  const [snap, setSnap] = useState(initial);
  const [connected, setConnected] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!LIVE.has(initial.state)) return;
    const source = new EventSource(`/api/sessions/${initial.id}/live`);
    source.addEventListener("open", () => setConnected(true));
    source.addEventListener("snapshot", (e) => setSnap(JSON.parse((e as MessageEvent).data)));
    source.addEventListener("end", () => {
      setConnected(false);
      source.close();
    });
    source.addEventListener("error", () => setConnected(false));
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      source.close();
      clearInterval(tick);
    };
  }, [initial.id, initial.state]);

  const live = LIVE.has(snap.state);
  const durationSec = live ? Math.max(0, Math.round((now - snap.startedAt) / 1000)) : snap.durationSec;
  const totalFrames = snap.participants.reduce((n, p) => n + p.frameCount, 0);
  // A live page runs the camera clocks on; an ended one shows them as the session left them.
  const clock = live ? now : (snap.endedAt ?? now);
  return (
    <>
      <p
        data-testid="coverage"
        className={snap.coverage.covered < snap.coverage.cameraOn ? "notice" : "notice ok"}
      >
        <strong data-testid="coverage-line">{describeCoverage(snap.coverage)}</strong>
        <span className="small muted">
          {" "}
          · capture mode <span data-testid="capture-mode">{CAPTURE_MODE_LABELS[snap.captureMode]}</span>
        </span>
      </p>
      <CaptureDropsNotice quota={snap.notStored.quota} lowDisk={snap.notStored.lowDisk} />
      <div className="stats">
        <div className="stat">
          <div className="label">State</div>
          <div className="value">
            <span className={`badge ${snap.state}`} data-testid="session-state">
              {snap.state}
            </span>{" "}
            {live ? <span className="small muted">{connected ? "live" : "connecting…"}</span> : null}
          </div>
        </div>
        <div className="stat">
          <div className="label">Duration</div>
          <div className="value">{duration(durationSec)}</div>
        </div>
        <div className="stat">
          <div className="label">Participants</div>
          <div className="value">{snap.participants.length}</div>
        </div>
        <div className="stat">
          <div className="label">Frames kept</div>
          <div className="value" data-testid="session-frames">
            {totalFrames}
          </div>
        </div>
        <div className="stat">
          <div className="label">Reconnects</div>
          <div className="value">{snap.reconnects}</div>
        </div>
        <div className="stat">
          <div className="label">Stop reason</div>
          <div className="value small">{snap.stopReason ?? "—"}</div>
        </div>
      </div>

      <h2>Timeline</h2>
      <TimelineChart snapshot={snap} />

      <h2>Participants</h2>
      <table data-testid="participants">
        <thead>
          <tr>
            <th>Name</th>
            <th>Zoom user id</th>
            <th>Camera</th>
            <th className="num">Camera-on time</th>
            <th className="num">Frames kept</th>
            <th className="num">Time to first frame</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {snap.participants.map((p) => {
            const c = participantCoverage(p, clock);
            return (
              <tr
                key={p.id}
                data-testid={`participant-${p.zoomUserId}`}
                data-uncovered={c.uncovered ? "true" : undefined}
              >
                <td>
                  <Link href={`/sessions/${snap.id}/participants/${p.id}`}>{p.name}</Link>{" "}
                  {p.isRoom ? <span className="badge">Zoom Room</span> : null}{" "}
                  {c.uncovered ? (
                    <span className="badge uncovered" data-testid="no-frames">
                      {live ? "no frames yet" : "no frames"}
                    </span>
                  ) : null}
                </td>
                <td className="mono">{p.zoomUserId}</td>
                <td className="small">{p.videoOn ? "on" : c.cameraEverOn ? "off" : "never on"}</td>
                <td className="num">{c.cameraEverOn ? formatMs(c.cameraOnMs) : "—"}</td>
                <td className="num">{p.frameCount}</td>
                <td className="num">{formatMs(c.timeToFirstFrameMs)}</td>
                <td className="small">{new Date(p.lastSeenAt).toISOString().slice(11, 19)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>

      {snap.roomActions.length > 0 ? (
        <>
          <h2>Room actions</h2>
          <table>
            <thead>
              <tr>
                <th>Room</th>
                <th>Action</th>
                <th>Outcome</th>
                <th className="num">Attempt</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {snap.roomActions.map((a) => (
                <tr key={a.id}>
                  <td>{a.roomName}</td>
                  <td>{a.kind.toLowerCase()}</td>
                  <td>
                    <span className={`badge ${a.outcome}`}>{a.outcome}</span>
                  </td>
                  <td className="num">{a.attempt}</td>
                  <td className="small">{a.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
