// The demo seed: a demo team and its owner, so a newcomer can log in. Idempotent (upserts), and it refuses
// to run in production, where accounts are created through the portal.
import type { Db } from "./client.ts";
import { DbError } from "./errors.ts";
import { hashPassword } from "./password.ts";

export interface SeedOptions {
  nodeEnv: string | undefined;
  adminEmail: string;
  adminPassword: string;
  teamName?: string;
  teamSlug?: string;
}

export interface SeedResult {
  teamId: string;
  userId: string;
  email: string;
}

export async function seedDemo(db: Db, options: SeedOptions): Promise<SeedResult> {
  if (options.nodeEnv === "production") {
    throw new DbError("SEED_REFUSED", "the demo seed refuses to run with NODE_ENV=production");
  }
  const slug = options.teamSlug ?? "demo";
  const team = await db.team.upsert({
    where: { slug },
    // The demo team behaves like the seed sample: every Available room joins the meeting.
    create: { name: options.teamName ?? "Demo Team", slug, roomJoinMode: "ALL_AVAILABLE" },
    update: {},
  });
  const email = options.adminEmail.toLowerCase();
  const existing = await db.user.findUnique({ where: { email } });
  const user =
    existing ??
    (await db.user.create({
      data: { email, name: "Demo Admin", passwordHash: await hashPassword(options.adminPassword) },
    }));
  await db.membership.upsert({
    where: { userId_teamId: { userId: user.id, teamId: team.id } },
    create: { userId: user.id, teamId: team.id, role: "OWNER" },
    update: { role: "OWNER" },
  });
  return { teamId: team.id, userId: user.id, email };
}
