import Link from "next/link";
import { ActionForm } from "~/components/action-form.tsx";
import { dismissAction, retryNowAction } from "~/modules/retries/actions.ts";
import { listRetryItems, type RetryFilter } from "~/modules/retries/lib/retries.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

export default async function RetriesPage(props: { searchParams: Promise<{ show?: string }> }) {
  const member = await requireMember();
  const filter: RetryFilter = (await props.searchParams).show === "all" ? "all" : "open";
  const items = await listRetryItems(db(), member.teamId, filter);
  const editable = canEdit(member);
  return (
    <>
      <div className="row">
        <h1>Retry queue</h1>
        <span className="spacer" />
        {filter === "open" ? (
          <Link href="/retries?show=all">Show resolved and dismissed</Link>
        ) : (
          <Link href="/retries">Show open only</Link>
        )}
      </div>
      <p className="muted small">Work that still failed after the worker's automatic retries.</p>
      {items.length === 0 ? (
        <p className="muted">Nothing waiting.</p>
      ) : (
        <table data-testid="retry-items">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Why</th>
              <th className="num">Attempts</th>
              <th>Status</th>
              {editable ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} data-testid="retry-item">
                <td className="small">{fmtDate(i.createdAt)}</td>
                <td>
                  {i.kind.replaceAll("_", " ").toLowerCase()}
                  {i.nextStep ? <div className="small muted">{i.nextStep}</div> : null}
                </td>
                <td className="small">
                  {i.reason}
                  {i.lastError && i.lastError !== i.reason ? (
                    <div className="muted">{i.lastError}</div>
                  ) : null}
                </td>
                <td className="num">{i.attempts}</td>
                <td>
                  <span className={`badge ${i.status}`}>{i.status}</span>
                </td>
                {editable ? (
                  <td>
                    {i.status === "OPEN" ? (
                      <div className="row">
                        <ActionForm
                          action={retryNowAction.bind(null, i.id)}
                          className="row"
                          submitLabel="Retry now"
                        />
                        <ActionForm
                          action={dismissAction.bind(null, i.id)}
                          className="row"
                          submitLabel="Dismiss"
                          submitClassName="secondary"
                        />
                      </div>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
