import type { NextConfig } from "next";
import { API_CSP, staticSecurityHeaders } from "./src/server/security-headers.ts";

// The @capture/* packages are TypeScript source (no build step), so Next compiles them.
// pg and the Prisma adapter stay external: they are plain Node modules and bundling them gains nothing.
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@capture/db", "@capture/jobs", "@capture/rtms-core"],
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "sharp", "archiver", "pino", "bullmq", "ioredis"],
  async headers() {
    return [
      { source: "/:path*", headers: staticSecurityHeaders() },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
};

export default config;
