import Link from "next/link";
import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { RetentionSettings } from "~/modules/privacy/components/retention-settings.tsx";
import { addMemberAction } from "~/modules/teams/actions.ts";
import { canEdit, hasRole, listMembers } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function TeamPage() {
  const member = await requireMember();
  const members = await listMembers(db(), member.teamId);
  return (
    <>
      <h1>{member.teamName}</h1>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Last sign-in</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>{m.user.name}</td>
              <td>{m.user.email}</td>
              <td>{m.role.toLowerCase()}</td>
              <td className="small">{fmtDate(m.user.lastLoginAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit(member) ? (
        <>
          <h2>Add a member</h2>
          <ActionForm action={addMemberAction} submitLabel="Add member">
            <label>
              Email
              <input name="email" type="email" required />
              <FieldError name="email" />
            </label>
            <label>
              Name
              <input name="name" required />
              <FieldError name="name" />
            </label>
            <label>
              Role
              <select name="role" defaultValue="VIEWER">
                <option value="VIEWER">Viewer — reads everything, changes nothing</option>
                <option value="ADMIN">Admin — edits settings, meetings, rooms, frames</option>
                {hasRole(member.role, "OWNER") ? <option value="OWNER">Owner</option> : null}
              </select>
            </label>
            <label>
              Initial password <span className="hint">only for a new account (10+ characters)</span>
              <input name="password" type="password" autoComplete="new-password" />
              <FieldError name="password" />
            </label>
          </ActionForm>
        </>
      ) : null}
      <RetentionSettings member={member} />
      {canEdit(member) ? (
        <p>
          <Link href="/privacy">Erase a person →</Link>
        </p>
      ) : null}
    </>
  );
}
