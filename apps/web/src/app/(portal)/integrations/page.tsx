// API tokens and outbound webhook endpoints of the active team, with each endpoint's delivery log.
import { OUTBOUND_EVENT_TYPES } from "@capture/jobs";
import Link from "next/link";
import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { createTokenAction, revokeTokenAction } from "~/modules/api/actions.ts";
import { listApiTokens } from "~/modules/api/lib/tokens.ts";
import {
  createEndpointAction,
  deleteEndpointAction,
  resendDeliveryAction,
  rotateSecretAction,
  validateEndpointAction,
} from "~/modules/outbound-webhooks/actions.ts";
import { listDeliveries, listEndpoints } from "~/modules/outbound-webhooks/lib/endpoints.ts";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate, orNotFound } from "~/server/pages.ts";
import { db } from "~/server/services.ts";
import { isIdShaped } from "~/server/validation.ts";

export default async function IntegrationsPage({
  searchParams,
}: {
  searchParams: Promise<{ endpoint?: string }>;
}) {
  const member = await requireMember();
  const admin = canEdit(member);
  const { endpoint: shown } = await searchParams;
  const [tokens, endpoints] = await Promise.all([
    listApiTokens(db(), member.teamId),
    listEndpoints(db(), member.teamId),
  ]);
  const deliveries =
    shown && isIdShaped(shown) ? await orNotFound(listDeliveries(db(), member.teamId, shown)) : null;
  const now = new Date();
  return (
    <>
      <h1>Integrations</h1>
      <p className="hint">
        The REST API lives under <code>/api/v1</code> (reference:{" "}
        <a href="/api/v1/openapi.json">openapi.json</a>); send <code>Authorization: Bearer cap_…</code>.
      </p>

      <h2>API tokens</h2>
      <table data-testid="api-tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Token</th>
            <th>Scopes</th>
            <th>Expires</th>
            <th>Last used</th>
            <th>Status</th>
            {admin ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => {
            const status = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt <= now ? "expired" : "active";
            return (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{t.scopes.map((s) => s.toLowerCase()).join(", ")}</td>
                <td className="small">{t.expiresAt ? fmtDate(t.expiresAt) : "never"}</td>
                <td className="small">{fmtDate(t.lastUsedAt)}</td>
                <td>{status}</td>
                {admin ? (
                  <td>
                    {status === "active" ? (
                      <ActionForm
                        action={revokeTokenAction}
                        submitLabel="Revoke"
                        confirm="Revoke this token now?"
                      >
                        <input type="hidden" name="id" value={t.id} />
                      </ActionForm>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {admin ? (
        <ActionForm action={createTokenAction} submitLabel="Create token">
          <label>
            Name
            <input name="name" required maxLength={100} />
            <FieldError name="name" />
          </label>
          <fieldset>
            <legend>Scopes</legend>
            <label>
              <input type="checkbox" name="scopes" value="READ" defaultChecked /> read
            </label>
            <label>
              <input type="checkbox" name="scopes" value="WRITE" /> write (meetings, retries)
            </label>
            <FieldError name="scopes" />
          </fieldset>
          <label>
            Expires after (days) <span className="hint">empty: never</span>
            <input name="expiresInDays" type="number" min={1} max={3650} />
            <FieldError name="expiresInDays" />
          </label>
        </ActionForm>
      ) : null}

      <h2>Webhook endpoints</h2>
      {endpoints
        .filter((e) => e.status === "DISABLED")
        .map((e) => (
          <p key={e.id} className="notice error" role="status">
            {e.url} was disabled {fmtDate(e.disabledAt)}: {e.disabledReason}. Fix the receiver, then validate
            it again.
          </p>
        ))}
      <table data-testid="webhook-endpoints">
        <thead>
          <tr>
            <th>URL</th>
            <th>Events</th>
            <th>Status</th>
            <th>Failures in a row</th>
            {admin ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {endpoints.map((e) => (
            <tr key={e.id}>
              <td>
                <Link href={`/integrations?endpoint=${e.id}`}>{e.url}</Link>
                {e.description ? <div className="small">{e.description}</div> : null}
              </td>
              <td className="small">{e.events.length ? e.events.join(", ") : "all"}</td>
              <td>
                {e.status === "DISABLED" ? "disabled" : e.validatedAt ? "active" : "awaiting validation"}
              </td>
              <td>{e.consecutiveFailures}</td>
              {admin ? (
                <td>
                  <ActionForm action={validateEndpointAction} submitLabel="Validate">
                    <input type="hidden" name="id" value={e.id} />
                  </ActionForm>
                  <ActionForm
                    action={rotateSecretAction}
                    submitLabel="Rotate secret"
                    confirm="Rotate? The endpoint pauses until validated with the new secret."
                  >
                    <input type="hidden" name="id" value={e.id} />
                  </ActionForm>
                  <ActionForm
                    action={deleteEndpointAction}
                    submitLabel="Delete"
                    confirm="Delete this endpoint and its delivery log?"
                  >
                    <input type="hidden" name="id" value={e.id} />
                  </ActionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {admin ? (
        <ActionForm action={createEndpointAction} submitLabel="Register endpoint">
          <label>
            URL <span className="hint">https; it must answer the endpoint.url_validation challenge</span>
            <input name="url" type="url" required />
            <FieldError name="url" />
          </label>
          <label>
            Description
            <input name="description" maxLength={200} />
          </label>
          <fieldset>
            <legend>Events (none ticked: all)</legend>
            {OUTBOUND_EVENT_TYPES.map((t) => (
              <label key={t}>
                <input type="checkbox" name="events" value={t} /> {t}
              </label>
            ))}
          </fieldset>
        </ActionForm>
      ) : null}

      {deliveries ? (
        <>
          <h2>Deliveries</h2>
          <table data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th>When</th>
                <th>Event</th>
                <th>Event id</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>HTTP</th>
                <th>Latency</th>
                <th>Response</th>
                {admin ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td className="small">{fmtDate(d.createdAt)}</td>
                  <td>{d.eventType}</td>
                  <td className="small">
                    <code>{d.eventId}</code>
                  </td>
                  <td>{d.status.toLowerCase()}</td>
                  <td>{d.attempts}</td>
                  <td>{d.responseStatus ?? "—"}</td>
                  <td>{d.latencyMs === null ? "—" : `${d.latencyMs} ms`}</td>
                  <td className="small">{(d.responseExcerpt ?? d.lastError ?? "").slice(0, 120)}</td>
                  {admin ? (
                    <td>
                      <ActionForm action={resendDeliveryAction} submitLabel="Resend">
                        <input type="hidden" name="id" value={d.id} />
                      </ActionForm>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}
