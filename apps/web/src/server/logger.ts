import pino, { type Logger } from "pino";
import { env } from "~/env.ts";

// One pino logger for the portal; modules take a child. Secrets are redacted by path as a second line of
// defence (nothing should log them in the first place).
let root: Logger | undefined;
export function logger(): Logger {
  root ??= pino({
    level: env().LOG_LEVEL,
    base: { service: "web" },
    redact: [
      "password",
      "*.password",
      "secret",
      "*.secret",
      "*.clientSecret",
      "*.webhookSecretToken",
      "token",
    ],
  });
  return root;
}
