import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { env } from "~/env.ts";
import { StorageSettings } from "~/modules/privacy/components/storage-settings.tsx";
import { canEdit } from "~/modules/teams/lib/membership.ts";
import { saveZoomAppAction, testConnectionAction } from "~/modules/zoom-settings/actions.ts";
import { getZoomAppView, webhookUrl } from "~/modules/zoom-settings/lib/zoom-app.ts";
import { requireMember } from "~/server/context.ts";
import { fmtDate } from "~/server/pages.ts";
import { db } from "~/server/services.ts";

function SecretField({
  name,
  label,
  isSet,
  disabled,
}: {
  name: string;
  label: string;
  isSet: boolean;
  disabled: boolean;
}) {
  return (
    <label>
      {label}{" "}
      <span className="hint" data-testid={`${name}-state`}>
        {isSet ? "set — leave blank to keep" : "not set"}
      </span>
      <input
        name={name}
        type="password"
        autoComplete="new-password"
        disabled={disabled}
        placeholder={isSet ? "••••••••" : ""}
      />
      <FieldError name={name} />
    </label>
  );
}

export default async function SettingsPage() {
  const member = await requireMember();
  const app = await getZoomAppView(db(), member.teamId);
  const editable = canEdit(member);
  const e = env();
  const base = e.PUBLIC_BASE_URL ?? e.NEXTAUTH_URL ?? `http://127.0.0.1:${e.PORT}`;
  return (
    <>
      <h1>Zoom settings</h1>
      <div className="panel">
        <strong>Webhook URL</strong>{" "}
        <span className="muted small">paste into the RTMS app's event subscription</span>
        <p className="mono" data-testid="webhook-url">
          {webhookUrl(base, member.teamId)}
        </p>
      </div>
      {!editable ? <p className="notice">You have read-only access to this team.</p> : null}
      <ActionForm action={saveZoomAppAction} submitLabel={editable ? "Save settings" : undefined}>
        <fieldset disabled={!editable}>
          <legend>RTMS app</legend>
          <label>
            Client id
            <input name="clientId" defaultValue={app?.clientId ?? ""} required />
            <FieldError name="clientId" />
          </label>
          <SecretField
            name="clientSecret"
            label="Client secret"
            isSet={app?.hasClientSecret ?? false}
            disabled={!editable}
          />
          <SecretField
            name="webhookSecretToken"
            label="Webhook secret token"
            isSet={app?.hasWebhookSecretToken ?? false}
            disabled={!editable}
          />
          <label>
            Event WebSocket URL <span className="hint">optional, instead of webhooks</span>
            <input
              name="eventWsUrl"
              defaultValue={app?.eventWsUrl ?? ""}
              placeholder="wss://ws.zoom.us/ws?subscriptionId=…"
            />
            <FieldError name="eventWsUrl" />
          </label>
        </fieldset>
        <fieldset disabled={!editable}>
          <legend>Server-to-server app (Rooms API)</legend>
          <label>
            Account id
            <input name="s2sAccountId" defaultValue={app?.s2sAccountId ?? ""} />
          </label>
          <label>
            Client id
            <input name="s2sClientId" defaultValue={app?.s2sClientId ?? ""} />
          </label>
          <SecretField
            name="s2sClientSecret"
            label="Client secret"
            isSet={app?.hasS2sClientSecret ?? false}
            disabled={!editable}
          />
        </fieldset>
        {app ? <p className="muted small">Last changed {fmtDate(app.updatedAt)}</p> : null}
      </ActionForm>
      {editable ? (
        <>
          <h2>Test connection</h2>
          <p className="muted small">Gets a server-to-server token and lists the account's Zoom Rooms.</p>
          <ActionForm
            action={testConnectionAction}
            submitLabel="Test connection"
            submitClassName="secondary"
          />
        </>
      ) : null}
      <StorageSettings member={member} />
    </>
  );
}
