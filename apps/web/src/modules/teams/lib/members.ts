// Adding members and creating teams. An admin may add viewers and admins; only an owner may make owners.
import { type Db, hashPassword, type Role } from "@capture/db";
import { z } from "zod";
import { recordAudit } from "~/modules/audit/lib/audit.ts";
import { AppError } from "~/server/errors.ts";
import { hasRole, type Member, requireRole } from "./membership.ts";

export const AddMemberInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address")),
  name: z.string().trim().min(1, "Enter a name").max(120),
  role: z.enum(["VIEWER", "ADMIN", "OWNER"]),
  /** Needed only when the account does not exist yet. */
  password: z
    .union([z.literal(""), z.string().min(10, "Passwords need at least 10 characters").max(200)])
    .optional(),
});
export type AddMemberInput = z.infer<typeof AddMemberInput>;

export async function addMember(db: Db, actor: Member, input: AddMemberInput, ip?: string | null) {
  requireRole(actor, "ADMIN");
  if (input.role === "OWNER" && !hasRole(actor.role, "OWNER")) {
    throw new AppError("FORBIDDEN", "Only an owner can add another owner");
  }
  let user = await db.user.findUnique({ where: { email: input.email } });
  if (!user) {
    if (!input.password) {
      throw new AppError("VALIDATION", "This email has no account yet: set an initial password", {
        field: "password",
      });
    }
    user = await db.user.create({
      data: { email: input.email, name: input.name, passwordHash: await hashPassword(input.password) },
    });
  }
  const existing = await db.membership.findUnique({
    where: { userId_teamId: { userId: user.id, teamId: actor.teamId } },
  });
  if (existing) throw new AppError("CONFLICT", `${input.email} is already a member of ${actor.teamName}`);
  await db.$transaction(async (tx) => {
    await tx.membership.create({ data: { userId: user.id, teamId: actor.teamId, role: input.role as Role } });
    await recordAudit(tx, {
      teamId: actor.teamId,
      actorUserId: actor.userId,
      action: "member.add",
      targetType: "user",
      targetId: user.id,
      data: { email: input.email, role: input.role },
      ip,
    });
  });
  return user;
}
