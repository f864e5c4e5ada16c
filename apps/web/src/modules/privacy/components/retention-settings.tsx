// The team page's retention panel: the team's days and each meeting's override.
import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { canEdit, type Member } from "~/modules/teams/lib/membership.ts";
import { db } from "~/server/services.ts";
import { setMeetingRetentionAction, setTeamRetentionAction } from "../actions.ts";
import { describeRetention, getRetention, MAX_RETENTION_DAYS } from "../lib/retention.ts";

export async function RetentionSettings({ member }: { member: Member }) {
  const { teamDays, meetings } = await getRetention(db(), member.teamId);
  const editable = canEdit(member);
  return (
    <section data-testid="retention">
      <h2>Retention</h2>
      <p className="muted small">
        Frames older than this are deleted, objects and rows; sessions keep their times, participants and
        counts. 0 keeps nothing after a session ends; empty keeps frames until someone deletes them.
      </p>
      <p>
        Team: <strong data-testid="retention-current">{describeRetention(teamDays)}</strong>
      </p>
      {editable ? (
        <ActionForm action={setTeamRetentionAction} submitLabel="Save retention">
          <label>
            Keep frames for (days)
            <input
              name="retentionDays"
              inputMode="numeric"
              defaultValue={teamDays === null ? "" : String(teamDays)}
              placeholder="keep until deleted"
              aria-describedby="retention-hint"
            />
            <span className="hint" id="retention-hint">
              0 to {MAX_RETENTION_DAYS}, or empty
            </span>
            <FieldError name="retentionDays" />
          </label>
        </ActionForm>
      ) : null}
      {meetings.length > 0 ? (
        <>
          <h3>Per meeting</h3>
          <table data-testid="meeting-retention">
            <thead>
              <tr>
                <th>Meeting</th>
                <th>Retention</th>
                {editable ? <th>Override (days, empty = the team's)</th> : null}
              </tr>
            </thead>
            <tbody>
              {meetings.map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.name} <span className="muted small mono">{m.meetingNumber}</span>
                  </td>
                  <td>{m.retentionDays === null ? "the team's" : describeRetention(m.retentionDays)}</td>
                  {editable ? (
                    <td>
                      <ActionForm
                        action={setMeetingRetentionAction}
                        submitLabel="Save"
                        submitClassName="secondary"
                        className="inline"
                      >
                        <input type="hidden" name="meetingId" value={m.id} />
                        <input
                          name="retentionDays"
                          inputMode="numeric"
                          aria-label={`Retention days for ${m.name}`}
                          defaultValue={m.retentionDays === null ? "" : String(m.retentionDays)}
                        />
                        <FieldError name="retentionDays" />
                      </ActionForm>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
