import { ActionForm, SubmitButton } from "~/components/action-form.tsx";
import { erasePeopleAction } from "~/modules/privacy/actions.ts";
import { PersonQuery, type PersonSearch, searchPeople } from "~/modules/privacy/lib/erasure.ts";
import { fmtBytes } from "~/modules/privacy/lib/format.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function PrivacyPage(props: { searchParams: Promise<{ q?: string | string[] }> }) {
  const member = await requireMember("ADMIN");
  const raw = (await props.searchParams).q;
  const q = typeof raw === "string" ? raw : "";
  const valid = q ? PersonQuery.safeParse(q) : undefined;
  const found: PersonSearch | undefined = valid?.success
    ? await searchPeople(db(), member, valid.data)
    : undefined;
  return (
    <>
      <h1>Erase a person</h1>
      <p className="muted small">
        Finds a person's participant records across every session of this team, by name or Zoom user id.
        Erasing deletes their frames, thumbnails and files, and replaces their name with a tombstone; the
        audit log records counts, never the name.
      </p>
      <form method="get" className="stack" data-testid="person-search">
        <label>
          Name or Zoom user id
          <input name="q" defaultValue={q} required minLength={2} maxLength={120} />
        </label>
        <div>
          <button type="submit">Search</button>
        </div>
      </form>
      {valid && !valid.success ? <p className="notice error">{valid.error.issues[0]?.message}</p> : null}
      {/* One form whatever the result: after an erasure the page re-renders with no matches, and the
          same form must stay mounted to show the erasure's message and its verification. */}
      {found ? (
        <ActionForm
          action={erasePeopleAction}
          confirm="Erase the selected participants' frames and names? This cannot be undone."
        >
          {found.matches.length === 0 ? (
            <p data-testid="person-none">No participant matches.</p>
          ) : (
            <>
              <p data-testid="person-summary">
                {found.matches.length} participant records in {found.sessions} sessions: {found.frames}{" "}
                frames, {fmtBytes(found.bytes)}
              </p>
              <table data-testid="person-matches">
                <thead>
                  <tr>
                    <th>Erase</th>
                    <th>Session started</th>
                    <th>Name</th>
                    <th>Zoom user id</th>
                    <th>Frames</th>
                    <th>Bytes</th>
                  </tr>
                </thead>
                <tbody>
                  {found.matches.map((m) => (
                    <tr key={m.participantId}>
                      <td>
                        <input
                          type="checkbox"
                          name="participantId"
                          value={m.participantId}
                          defaultChecked
                          aria-label={`Erase ${m.name} in the session of ${fmtDate(m.sessionStartedAt)}`}
                        />
                      </td>
                      <td className="small">{fmtDate(m.sessionStartedAt)}</td>
                      <td>{m.name}</td>
                      <td className="mono small">{m.zoomUserId}</td>
                      <td>{m.frames}</td>
                      <td>{fmtBytes(m.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <SubmitButton label="Erase selected" />
            </>
          )}
        </ActionForm>
      ) : null}
    </>
  );
}
