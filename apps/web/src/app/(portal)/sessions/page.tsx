import Link from "next/link";
import { CAPTURE_MODE_LABELS } from "~/modules/meetings/lib/capture-mode.ts";
import { coverageCell, describeCoverage } from "~/modules/sessions/lib/coverage.ts";
import { listSessions } from "~/modules/sessions/lib/sessions.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate, fmtDuration } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

function parseBefore(raw: string | undefined) {
  const m = raw ? /^(\d{1,15})_([A-Za-z0-9_-]{1,64})$/.exec(raw) : null;
  return m ? { createdAt: new Date(Number(m[1])), id: m[2]! } : undefined;
}

export default async function SessionsPage(props: { searchParams: Promise<{ before?: string }> }) {
  const member = await requireMember();
  const { before } = await props.searchParams;
  const { rows, next } = await listSessions(db(), member.teamId, { before: parseBefore(before) });
  return (
    <>
      <h1>Capture sessions</h1>
      {rows.length === 0 ? (
        <p className="muted">
          No sessions yet. They appear when Zoom starts a stream for one of your meetings.
        </p>
      ) : (
        <table data-testid="sessions">
          <thead>
            <tr>
              <th>Started</th>
              <th>Meeting</th>
              <th>State</th>
              <th className="num">Duration</th>
              <th className="num">Participants</th>
              <th className="num">Frames</th>
              <th className="num" title="Participants with camera on that have frames">
                Coverage
              </th>
              <th className="num">Reconnects</th>
              <th>Stop reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td>
                  <Link href={`/sessions/${s.id}`}>{fmtDate(s.startedAt)}</Link>
                </td>
                <td>{s.meetingName ?? <span className="muted mono">{s.meetingUuid}</span>}</td>
                <td>
                  <span className={`badge ${s.state}`}>{s.state}</span>
                </td>
                <td className="num">{fmtDuration(s.durationSec)}</td>
                <td className="num">{s.participants}</td>
                <td className="num">{s.frames}</td>
                <td
                  className="num"
                  data-testid={`coverage-${s.id}`}
                  title={`${describeCoverage(s.coverage)} (${CAPTURE_MODE_LABELS[s.captureMode]})`}
                >
                  {coverageCell(s.coverage)}
                </td>
                <td className="num">{s.reconnects}</td>
                <td className="small">{s.stopReason ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next ? (
        <p>
          <Link href={`/sessions?before=${next.createdAt.getTime()}_${next.id}`}>Older sessions →</Link>
        </p>
      ) : null}
    </>
  );
}
