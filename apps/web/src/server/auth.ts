// next-auth 4 configuration: Credentials provider, JWT sessions that expire after SESSION_MAX_AGE_SEC.
// The JWT carries the user id and a session id (`sid`); roles and teams are read from the database on every
// request, so a removed membership takes effect at once. Sign-out puts the sid on a denylist in Redis
// (modules/auth/lib/revocation.ts) that every authenticated request consults, so a copied token stops
// working when its owner signs out, not only when it expires.
import { randomUUID } from "node:crypto";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { env } from "~/env.ts";
import { authenticate } from "~/modules/auth/lib/authenticate.ts";
import { clientAddress as addressFrom, TrustedProxies } from "~/modules/auth/lib/client-address.ts";
import { LoginRateLimiter } from "~/modules/auth/lib/rate-limit.ts";
import { SessionRevocations } from "~/modules/auth/lib/revocation.ts";
import { isAppError } from "./errors.ts";
import { logger } from "./logger.ts";
import { db, producerRedisClient } from "./services.ts";

let trusted: TrustedProxies | undefined;

/** The client's address: the socket peer, or what TRUSTED_PROXIES-listed proxies say (client-address.ts). */
export function clientAddress(headers: Record<string, string | string[] | undefined> | Headers): string {
  trusted ??= new TrustedProxies(env().TRUSTED_PROXIES);
  return addressFrom(headers, trusted);
}

// Keys live beside the deployment's queues, so deployments (and test runs) sharing a Redis stay apart.
const keyPrefix = () => env().QUEUE_PREFIX ?? "capture";

let limiter: LoginRateLimiter | undefined;
let revocations: SessionRevocations | undefined;
export function sessionRevocations(): SessionRevocations {
  revocations ??= new SessionRevocations(producerRedisClient(), {
    prefix: keyPrefix(),
    // No token outlives the session max age, so neither need its denylist entry.
    ttlSec: env().SESSION_MAX_AGE_SEC,
  });
  return revocations;
}

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
          limiter ??= new LoginRateLimiter(producerRedisClient(), { prefix: `${keyPrefix()}:login-fail` });
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
        if (user) {
          token.uid = user.id;
          token.sid = randomUUID();
        }
        return token;
      },
      async session({ session, token }) {
        const uid = typeof token.uid === "string" ? token.uid : undefined;
        const sid = typeof token.sid === "string" ? token.sid : undefined;
        // A token without a session id cannot be revoked, so it is not accepted either.
        if (!uid || !sid) return { expires: session.expires };
        try {
          if (await sessionRevocations().isRevoked(sid)) return { expires: session.expires };
        } catch (err) {
          logger().error({ err }, "session revocation check failed: treating the session as signed out");
          return { expires: session.expires };
        }
        return { ...session, userId: uid };
      },
    },
    events: {
      async signOut({ token }) {
        const sid = typeof token?.sid === "string" ? token.sid : undefined;
        if (!sid) return;
        try {
          await sessionRevocations().revoke(sid);
        } catch (err) {
          // The cookie is still cleared; the token itself stays valid until it expires.
          logger().error({ err }, "sign-out could not revoke the session server-side");
        }
      },
    },
  };
  return options;
}
