import Link from "next/link";
import { ActionForm } from "~/components/action-form.tsx";
import { deleteMeetingAction, updateMeetingAction } from "~/modules/meetings/actions.ts";
import { MeetingForm } from "~/modules/meetings/components/meeting-form.tsx";
import { captureFields, describeCapture, framePolicyFields } from "~/modules/meetings/lib/form.ts";
import { getMeeting } from "~/modules/meetings/lib/meetings.ts";
import { listRooms } from "~/modules/rooms/lib/rooms.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { orNotFound } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function MeetingPage(props: {
  params: Promise<{ meetingId: string }>;
  searchParams: Promise<{ saved?: string }>;
}) {
  const member = await requireMember();
  const { meetingId } = await props.params;
  const { saved } = await props.searchParams;
  const meeting = await orNotFound(getMeeting(db(), member.teamId, meetingId));
  const rooms = await listRooms(db(), member.teamId);
  const editable = canEdit(member);
  return (
    <>
      <p className="small">
        <Link href="/meetings">← Meetings</Link>
      </p>
      <h1>{meeting.name}</h1>
      <p className="muted small" data-testid="meeting-capture">
        Captures: {describeCapture(meeting.captureMode, meeting.coverageDwellMs)}
      </p>
      {saved ? <p className="notice ok">Meeting created.</p> : null}
      {!editable ? <p className="notice">You have read-only access to this team.</p> : null}
      <MeetingForm
        action={updateMeetingAction.bind(null, meeting.id)}
        rooms={rooms.map((r) => ({ id: r.id, name: r.name, status: r.status }))}
        values={{
          name: meeting.name,
          meetingNumber: meeting.meetingNumber,
          hasPasscode: meeting.hasPasscode,
          roomIds: meeting.rooms.map((r) => r.id),
          roomLeaveDelaySec: meeting.roomLeaveDelaySec,
          capture: captureFields(meeting),
          policy: framePolicyFields(meeting.framePolicy),
        }}
        readOnly={!editable}
        submitLabel="Save"
      />
      {editable ? (
        <>
          <h2>Delete</h2>
          <ActionForm
            action={deleteMeetingAction.bind(null, meeting.id)}
            submitLabel="Delete meeting"
            submitClassName="danger"
            confirm="Delete this meeting? Its sessions and frames are kept."
          />
        </>
      ) : null}
    </>
  );
}
