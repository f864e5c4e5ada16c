// On every portal page of a team at its storage quota: capture is not storing its new frames.
import Link from "next/link";
import { db } from "~/server/services.ts";
import { fmtMegabytes, getStorageUsage, isAtQuota } from "../lib/storage.ts";

export async function QuotaBanner({ teamId }: { teamId: string }) {
  const usage = await getStorageUsage(db(), teamId).catch(() => undefined);
  if (!usage || !isAtQuota(usage)) return null;
  return (
    <p className="notice" role="alert" data-testid="quota-banner">
      This team is at its storage quota ({fmtMegabytes(usage.storedBytes)} of{" "}
      {fmtMegabytes(usage.quotaBytes ?? 0)}): new frames are not being stored.{" "}
      <Link href="/settings">Storage settings</Link>
    </p>
  );
}
