import Link from "next/link";
import { AuditFilter, auditFilterOptions, listAudit } from "~/modules/audit/lib/audit.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

function parseBefore(raw: string | undefined) {
  const m = raw ? /^(\d{1,15})_([A-Za-z0-9_-]{1,64})$/.exec(raw) : null;
  return m ? { createdAt: new Date(Number(m[1])), id: m[2]! } : undefined;
}

const one = (v: string | string[] | undefined) => (typeof v === "string" && v !== "" ? v : undefined);

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export default async function AuditPage(props: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const member = await requireMember();
  const sp = await props.searchParams;
  const filter = AuditFilter.parse({ action: one(sp.action), actor: one(sp.actor) });
  const [{ rows, hasMore }, options] = await Promise.all([
    listAudit(db(), member.teamId, parseBefore(one(sp.before)), filter),
    auditFilterOptions(db(), member.teamId),
  ]);
  const last = rows.at(-1);
  return (
    <>
      <h1>Audit log</h1>
      <form method="get" className="row" data-testid="audit-filter">
        <label>
          Action{" "}
          <select name="action" defaultValue={filter.action ?? ""}>
            <option value="">any</option>
            {options.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          User{" "}
          <select name="actor" defaultValue={filter.actor ?? ""}>
            <option value="">anyone</option>
            {options.actors.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="secondary">
          Filter
        </button>
        <span className="spacer" />
        <a
          className="button secondary"
          href={`/audit/csv${query({ action: filter.action, actor: filter.actor })}`}
          data-testid="audit-csv"
        >
          Export CSV
        </a>
      </form>
      <table data-testid="audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Details</th>
            <th>Address</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id}>
              <td className="small">{fmtDate(e.createdAt)}</td>
              <td>{e.actor?.name ?? <span className="muted">system</span>}</td>
              <td className="mono">{e.action}</td>
              <td className="small mono">{e.targetType ? `${e.targetType} ${e.targetId ?? ""}` : ""}</td>
              <td className="small mono">{e.data ? JSON.stringify(e.data).slice(0, 200) : ""}</td>
              <td className="small">{e.ip ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p className="muted">No events match.</p> : null}
      {hasMore && last ? (
        <p>
          <Link
            href={`/audit${query({ action: filter.action, actor: filter.actor, before: `${last.createdAt.getTime()}_${last.id}` })}`}
          >
            Older →
          </Link>
        </p>
      ) : null}
    </>
  );
}
