import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { addRoomAction, removeRoomAction, syncRoomsAction } from "~/modules/rooms/actions.ts";
import { listRooms } from "~/modules/rooms/lib/rooms.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function RoomsPage() {
  const member = await requireMember();
  const rooms = await listRooms(db(), member.teamId);
  const editable = canEdit(member);
  return (
    <>
      <div className="row">
        <h1>Zoom Rooms</h1>
        <span className="spacer" />
        {editable ? (
          <ActionForm
            action={syncRoomsAction}
            className="row"
            submitLabel="Sync from Zoom"
            submitClassName="secondary"
          />
        ) : null}
      </div>
      {rooms.length === 0 ? (
        <p className="muted">No rooms yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Zoom id</th>
              <th>Status</th>
              <th>Last action</th>
              <th className="num">Meetings</th>
              <th>Synced</th>
              {editable ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {rooms.map((r) => {
              const last = r.actions[0];
              return (
                <tr key={r.id} data-testid={`room-${r.zoomRoomId}`}>
                  <td>{r.name}</td>
                  <td className="mono">{r.zoomRoomId}</td>
                  <td>
                    <span className={`badge ${r.status}`}>{r.status}</span>
                  </td>
                  <td className="small">
                    {last ? (
                      <>
                        {last.kind.toLowerCase()}{" "}
                        <span className={`badge ${last.outcome}`}>{last.outcome}</span>{" "}
                        {last.message ? <span className="muted">{last.message}</span> : null}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num">{r._count.meetings}</td>
                  <td className="small">{fmtDate(r.lastSyncedAt)}</td>
                  {editable ? (
                    <td>
                      <ActionForm
                        action={removeRoomAction.bind(null, r.id)}
                        className="row"
                        submitLabel="Remove"
                        submitClassName="link"
                        confirm={`Remove ${r.name} from the list?`}
                      />
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editable ? (
        <>
          <h2>Add a room by id</h2>
          <ActionForm action={addRoomAction} submitLabel="Add room">
            <label>
              Zoom room id <span className="hint">the Rooms API `id`, as in /v2/rooms/&#123;id&#125;</span>
              <input name="zoomRoomId" required />
              <FieldError name="zoomRoomId" />
            </label>
            <label>
              Name <span className="hint">optional; the next sync fills it in</span>
              <input name="name" />
            </label>
          </ActionForm>
        </>
      ) : null}
    </>
  );
}
