// The request's identity: the signed-in user and their active team. Pages call `requireMember()` (redirects
// to /login), route handlers `memberForRoute()` (throws a 401 AppError). Nothing else decides who is asking.

import type { Role } from "@capture/db";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { cache } from "react";
import { type Member, requireRole, resolveMember } from "~/modules/teams/lib/membership.ts";
import { authOptions, clientAddress } from "./auth.ts";
import { AppError } from "./errors.ts";
import { db } from "./services.ts";

export const ACTIVE_TEAM_COOKIE = "capture_team";

// Memoised per request: the layout and the page both ask, and the answer cannot change in between.
const currentMember = cache(async (): Promise<Member | null> => {
  const session = (await getServerSession(authOptions())) as { userId?: string } | null;
  if (!session?.userId) return null;
  const jar = await cookies();
  return resolveMember(db(), session.userId, jar.get(ACTIVE_TEAM_COOKIE)?.value);
});

export async function requireMember(atLeast: Role = "VIEWER"): Promise<Member> {
  const member = await currentMember();
  if (!member) redirect("/login");
  if (atLeast !== "VIEWER") requireRole(member, atLeast);
  return member;
}

export async function memberForRoute(atLeast: Role = "VIEWER"): Promise<Member> {
  const member = await currentMember();
  if (!member) throw new AppError("UNAUTHENTICATED", "Sign in first");
  if (atLeast !== "VIEWER") requireRole(member, atLeast);
  return member;
}

export async function requestAddress(): Promise<string> {
  return clientAddress(await headers());
}
