"use client";
import { switchTeamAction } from "../actions.ts";

export function TeamSwitcher({
  teams,
  activeId,
}: {
  teams: { id: string; name: string }[];
  activeId: string;
}) {
  if (teams.length < 2) return <span className="muted">{teams[0]?.name}</span>;
  return (
    <form action={switchTeamAction}>
      <label className="check">
        <span className="sr-only">Team</span>
        <select
          name="teamId"
          defaultValue={activeId}
          aria-label="Team"
          onChange={(e) => e.currentTarget.form?.requestSubmit()}
        >
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}
