// The worker's one pino logger. Libraries (rtms-core) receive it or a child; none creates its own.
// `redact` is the safety net for secrets that might ride along in an object; the first rule is still to
// never pass a token or secret to a log call.
import { type Logger, pino } from "pino";

export const REDACT_PATHS = [
  "*.clientSecret",
  "*.clientSecretEnc",
  "*.s2sClientSecret",
  "*.s2sClientSecretEnc",
  "*.webhookSecretToken",
  "*.webhookSecretTokenEnc",
  "*.passcode",
  "*.passcodeEnc",
  "*.accessToken",
  "*.access_token",
  "*.token",
  "*.signature",
  "*.authorization",
  "*.headers.authorization",
  "*.password",
  "clientSecret",
  "passcode",
  "accessToken",
  "access_token",
  "token",
  "signature",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "worker" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      // Error objects under `err` keep their code and cause.
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

export type { Logger };
