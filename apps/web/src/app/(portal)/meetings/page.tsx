import Link from "next/link";
import { describeCapture } from "~/modules/meetings/lib/form.ts";
import { listMeetings } from "~/modules/meetings/lib/meetings.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { db } from "~/server/services.ts";

export default async function MeetingsPage() {
  const member = await requireMember();
  const meetings = await listMeetings(db(), member.teamId);
  return (
    <>
      <div className="row">
        <h1>Meetings</h1>
        <span className="spacer" />
        {canEdit(member) ? (
          <Link className="button" href="/meetings/new">
            New meeting
          </Link>
        ) : null}
      </div>
      {meetings.length === 0 ? (
        <p className="muted">No meetings registered yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Meeting number</th>
              <th>Rooms</th>
              <th>Capture</th>
              <th>Frame policy</th>
              <th className="num">Sessions</th>
            </tr>
          </thead>
          <tbody>
            {meetings.map((m) => (
              <tr key={m.id}>
                <td>
                  <Link href={`/meetings/${m.id}`}>{m.name}</Link>
                </td>
                <td className="mono">{m.meetingNumber}</td>
                <td>{m.rooms.map((r) => r.room.name).join(", ") || <span className="muted">none</span>}</td>
                <td className="small">{describeCapture(m.captureMode, m.coverageDwellMs)}</td>
                <td className="small">{m.framePolicy ? JSON.stringify(m.framePolicy) : "default"}</td>
                <td className="num">{m._count.sessions}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
