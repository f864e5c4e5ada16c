import { createMeetingAction } from "~/modules/meetings/actions.ts";
import { MeetingForm } from "~/modules/meetings/components/meeting-form.tsx";
import { captureFields, framePolicyFields } from "~/modules/meetings/lib/form.ts";
import { listRooms } from "~/modules/rooms/lib/rooms.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { db } from "~/server/services.ts";

export default async function NewMeetingPage() {
  const member = await requireMember();
  if (!canEdit(member)) {
    return <p className="notice error">Only owners and admins can register meetings.</p>;
  }
  const rooms = await listRooms(db(), member.teamId);
  return (
    <>
      <h1>New meeting</h1>
      <MeetingForm
        action={createMeetingAction}
        rooms={rooms.map((r) => ({ id: r.id, name: r.name, status: r.status }))}
        values={{
          name: "",
          meetingNumber: "",
          hasPasscode: false,
          roomIds: [],
          roomLeaveDelaySec: 30,
          capture: captureFields(null),
          policy: framePolicyFields(null),
        }}
        readOnly={false}
        submitLabel="Create meeting"
      />
    </>
  );
}
