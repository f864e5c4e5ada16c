// CLI: `pnpm --filter @capture/db seed`. Reads its own small env (a script, not an app).
import { z } from "zod";
import { createDb } from "../src/client.ts";
import { seedDemo } from "../src/seed.ts";

const env = z
  .object({
    DATABASE_URL: z.string().url(),
    NODE_ENV: z.string().optional(),
    DEMO_ADMIN_EMAIL: z.string().email().default("admin@demo.local"),
    DEMO_ADMIN_PASSWORD: z.string().min(8).default("demo-password"),
  })
  .parse(process.env);

const db = createDb(env.DATABASE_URL);
try {
  const result = await seedDemo(db, {
    nodeEnv: env.NODE_ENV,
    adminEmail: env.DEMO_ADMIN_EMAIL,
    adminPassword: env.DEMO_ADMIN_PASSWORD,
  });
  console.log(JSON.stringify({ seeded: true, teamId: result.teamId, email: result.email }));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await db.$disconnect();
}
