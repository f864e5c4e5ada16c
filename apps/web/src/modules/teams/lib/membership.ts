// Who may do what in which team. Every page and route resolves the signed-in user's ACTIVE team here,
// and every query after that is scoped by its id: a URL of another team's object resolves to nothing (404).
import type { Db, Role } from "@capture/db";
import { AppError } from "~/server/errors.ts";

export interface Member {
  userId: string;
  userName: string;
  userEmail: string;
  teamId: string;
  teamName: string;
  role: Role;
  /** Every team the user belongs to, for the team switcher. */
  teams: { id: string; name: string; role: Role }[];
}

const RANK: Record<Role, number> = { VIEWER: 0, ADMIN: 1, OWNER: 2 };

export function hasRole(role: Role, atLeast: Role): boolean {
  return RANK[role] >= RANK[atLeast];
}

export const canEdit = (m: Pick<Member, "role">) => hasRole(m.role, "ADMIN");

/**
 * The user's membership in the team they chose (cookie), or in their oldest team when the cookie is missing
 * or names a team they are not (or no longer) in. Null when the user is in no team or no longer exists.
 */
export async function resolveMember(
  db: Db,
  userId: string,
  preferredTeamId: string | undefined,
): Promise<Member | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    include: { memberships: { include: { team: true }, orderBy: { createdAt: "asc" } } },
  });
  if (!user || user.memberships.length === 0) return null;
  const active = user.memberships.find((m) => m.teamId === preferredTeamId) ?? user.memberships[0]!;
  return {
    userId: user.id,
    userName: user.name,
    userEmail: user.email,
    teamId: active.teamId,
    teamName: active.team.name,
    role: active.role,
    teams: user.memberships.map((m) => ({ id: m.teamId, name: m.team.name, role: m.role })),
  };
}

export function requireRole(member: Member, atLeast: Role): void {
  if (!hasRole(member.role, atLeast)) {
    throw new AppError("FORBIDDEN", `This needs the ${atLeast.toLowerCase()} role in ${member.teamName}`);
  }
}

export async function listMembers(db: Db, teamId: string) {
  return db.membership.findMany({
    where: { teamId },
    include: { user: { select: { id: true, name: true, email: true, lastLoginAt: true } } },
    orderBy: { createdAt: "asc" },
  });
}
