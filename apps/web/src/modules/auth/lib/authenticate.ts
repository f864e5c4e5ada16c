// Checks an email and password for next-auth's Credentials provider: rate limit first (see rate-limit.ts),
// then the scrypt hash. `address` is the client address as clientAddress() decided it, never a raw header.
import { type Db, verifyPassword } from "@capture/db";
import { z } from "zod";
import { AppError } from "~/server/errors.ts";
import type { LoginRateLimiter } from "./rate-limit.ts";

export const LoginInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  password: z.string().min(1).max(1024),
});

export interface AuthenticatedUser {
  id: string;
  email: string;
  name: string;
}

// A well-formed hash of a random password: unknown accounts cost the same scrypt work as known ones,
// so response time does not reveal which emails exist.
const DUMMY_HASH =
  "$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function authenticate(
  deps: { db: Db; limiter: LoginRateLimiter },
  raw: unknown,
  address: string,
): Promise<AuthenticatedUser> {
  const parsed = LoginInput.safeParse(raw);
  if (!parsed.success) throw new AppError("UNAUTHENTICATED", "Wrong email or password");
  const { email, password } = parsed.data;

  const decision = await deps.limiter.check(email, address);
  if (!decision.allowed) {
    throw new AppError("RATE_LIMITED", `Too many failed sign-ins; try again in ${decision.retryAfterSec} s`, {
      retryAfterSec: decision.retryAfterSec,
    });
  }

  // Failures for this account from anywhere slow every attempt on it down; none refuses it.
  if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));

  const user = await deps.db.user.findUnique({ where: { email } });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    await deps.limiter.recordFailure(email, address);
    throw new AppError("UNAUTHENTICATED", "Wrong email or password");
  }
  await deps.limiter.recordSuccess(email, address);
  await deps.db.$transaction([
    deps.db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } }),
    deps.db.auditEvent.create({ data: { actorUserId: user.id, action: "auth.login", ip: address } }),
  ]);
  return { id: user.id, email: user.email, name: user.name };
}
