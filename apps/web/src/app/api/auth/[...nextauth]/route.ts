import NextAuth from "next-auth";
import { authOptions } from "~/server/auth.ts";

// Built per request from lazily-read env (next build imports this module with no environment).
type Ctx = { params: Promise<{ nextauth: string[] }> };
async function handler(req: Request, ctx: Ctx) {
  return NextAuth(authOptions())(req, { params: await ctx.params });
}

export { handler as GET, handler as POST };
