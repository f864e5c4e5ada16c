import type { ReactNode } from "react";
import { NavLinks } from "~/components/nav-links.tsx";
import { SignOutButton } from "~/modules/auth/components/sign-out-button.tsx";
import { LowDiskBanner } from "~/modules/privacy/components/low-disk-banner.tsx";
import { QuotaBanner } from "~/modules/privacy/components/quota-banner.tsx";
import { countOpenRetryItems } from "~/modules/retries/lib/retries.ts";
import { TeamSwitcher } from "~/modules/teams/components/team-switcher.tsx";
import { requireMember } from "~/server/context.ts";
import { db } from "~/server/services.ts";

export const dynamic = "force-dynamic";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const member = await requireMember();
  const openRetries = await countOpenRetryItems(db(), member.teamId);
  return (
    <>
      <header className="topbar">
        <span className="brand">RTMS Capture</span>
        <TeamSwitcher teams={member.teams} activeId={member.teamId} />
        <NavLinks openRetries={openRetries} />
        <span className="spacer" />
        <span className="who" data-testid="who">
          {member.userName} · {member.role.toLowerCase()}
        </span>
        <SignOutButton />
      </header>
      <main>
        <LowDiskBanner />
        <QuotaBanner teamId={member.teamId} />
        {children}
      </main>
    </>
  );
}
