import Link from "next/link";
import { listAudit } from "~/modules/audit/lib/audit.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

function parseBefore(raw: string | undefined) {
  const m = raw ? /^(\d{1,15})_([A-Za-z0-9_-]{1,64})$/.exec(raw) : null;
  return m ? { createdAt: new Date(Number(m[1])), id: m[2]! } : undefined;
}

export default async function AuditPage(props: { searchParams: Promise<{ before?: string }> }) {
  const member = await requireMember();
  const { rows, hasMore } = await listAudit(
    db(),
    member.teamId,
    parseBefore((await props.searchParams).before),
  );
  const last = rows.at(-1);
  return (
    <>
      <h1>Audit log</h1>
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
      {hasMore && last ? (
        <p>
          <Link href={`/audit?before=${last.createdAt.getTime()}_${last.id}`}>Older →</Link>
        </p>
      ) : null}
    </>
  );
}
