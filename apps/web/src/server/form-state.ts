// What a server action returns to its form. AppErrors become messages; anything else is logged and
// reported generically (its text may hold internals).
import { isAppError } from "./errors.ts";

export interface FormState {
  error?: string;
  message?: string;
  fieldErrors?: Record<string, string>;
}

export function formError(err: unknown, log?: { error: (o: object, m: string) => void }): FormState {
  if (isAppError(err)) {
    const fieldErrors = (err.details?.fieldErrors as Record<string, string> | undefined) ?? undefined;
    const field = err.details?.field as string | undefined;
    return { error: err.message, fieldErrors: fieldErrors ?? (field ? { [field]: err.message } : undefined) };
  }
  log?.error({ err }, "action failed");
  return { error: "Something went wrong; the details are in the server log." };
}
