import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { Suspense } from "react";
import { LoginForm } from "~/modules/auth/components/login-form.tsx";
import { authOptions } from "~/server/auth.ts";

export const dynamic = "force-dynamic";

export default async function LoginPage() {
  const session = (await getServerSession(authOptions())) as { userId?: string } | null;
  if (session?.userId) redirect("/sessions");
  return (
    <main className="login">
      <div className="panel">
        <h1>RTMS Capture</h1>
        <p className="muted">Sign in to see your team's meetings, rooms and galleries.</p>
        <Suspense>
          <LoginForm />
        </Suspense>
      </div>
    </main>
  );
}
