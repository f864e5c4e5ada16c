// The settings page's storage panel: what the team stores against its quota; admins set the quota.
import { ActionForm, FieldError } from "~/components/action-form.tsx";
import { canEdit, type Member } from "~/modules/teams/lib/membership.ts";
import { db } from "~/server/services.ts";
import { setTeamQuotaAction } from "../actions.ts";
import { fmtMegabytes, getStorageUsage, isAtQuota } from "../lib/storage.ts";

export async function StorageSettings({ member }: { member: Member }) {
  const usage = await getStorageUsage(db(), member.teamId);
  const editable = canEdit(member);
  const full = isAtQuota(usage);
  return (
    <section data-testid="storage">
      <h2>Storage</h2>
      <p className="muted small">
        Bytes of the team's stored frames, all sessions. At the quota, capture stops storing new frames for
        this team (each session counts what it could not store); deleting frames or raising the quota lets it
        store again.
      </p>
      <p>
        Used: <strong data-testid="storage-used">{fmtMegabytes(usage.storedBytes)}</strong> of{" "}
        <strong data-testid="storage-quota">
          {usage.quotaBytes === null ? "unlimited" : fmtMegabytes(usage.quotaBytes)}
        </strong>
        {usage.percent !== null ? <span className="muted"> ({usage.percent}%)</span> : null}
      </p>
      {full ? (
        <p className="notice" data-testid="storage-full">
          The team is at its storage quota: capture is not storing new frames.
        </p>
      ) : null}
      {editable ? (
        <ActionForm action={setTeamQuotaAction} submitLabel="Save quota">
          <label>
            Storage quota (MB)
            <input
              name="quotaMb"
              inputMode="decimal"
              defaultValue={usage.quotaBytes === null ? "" : String(usage.quotaBytes / 1_000_000)}
              placeholder="unlimited"
              aria-describedby="quota-hint"
            />
            <span className="hint" id="quota-hint">
              1 MB = 1,000,000 bytes; empty = unlimited
            </span>
            <FieldError name="quotaMb" />
          </label>
        </ActionForm>
      ) : null}
    </section>
  );
}
