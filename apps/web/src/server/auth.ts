// next-auth 4 configuration: Credentials provider, JWT sessions that expire after SESSION_MAX_AGE_SEC.
// The JWT carries only the user id; roles and teams are read from the database on every request, so a
// removed membership takes effect at once.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "~/env.ts";
import { authenticate } from "~/modules/auth/lib/authenticate.ts";
import { LoginRateLimiter } from "~/modules/auth/lib/rate-limit.ts";
import { isAppError } from "./errors.ts";
import { logger } from "./logger.ts";
import { db, redis } from "./services.ts";

/** The client address as the server saw it (Next sets x-forwarded-for; behind a proxy, the proxy does). */
export function clientAddress(headers: Record<string, string | string[] | undefined> | Headers): string {
  const get = (k: string) => (headers instanceof Headers ? headers.get(k) : headers[k]);
  const raw = get("x-forwarded-for") ?? get("x-real-ip");
  const first = (Array.isArray(raw) ? raw[0] : raw)?.split(",")[0]?.trim();
  return first || "unknown";
}

let limiter: LoginRateLimiter | undefined;

let options: NextAuthOptions | undefined;
export function authOptions(): NextAuthOptions {
  if (options) return options;
  const e = env();
  options = {
    secret: e.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: e.SESSION_MAX_AGE_SEC },
    jwt: { maxAge: e.SESSION_MAX_AGE_SEC },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          // Keys live beside the deployment's queues, so deployments (and test runs) sharing a Redis stay apart.
          limiter ??= new LoginRateLimiter(redis(), {
            prefix: `${env().QUEUE_PREFIX ?? "capture"}:login-fail`,
          });
          try {
            return await authenticate({ db: db(), limiter }, credentials, clientAddress(req.headers ?? {}));
          } catch (err) {
            // next-auth passes a thrown message to the client as `error`: only our codes, never internals.
            if (isAppError(err) && err.code === "RATE_LIMITED") throw new Error("RATE_LIMITED");
            if (isAppError(err)) return null;
            logger().error({ err }, "sign-in failed unexpectedly");
            throw new Error("UNAVAILABLE");
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.uid = user.id;
        return token;
      },
      session({ session, token }) {
        return { ...session, userId: typeof token.uid === "string" ? token.uid : undefined };
      },
    },
  };
  return options;
}
