import type { z } from "zod";
import { AppError } from "./errors.ts";

/** Zod issues as one VALIDATION AppError with the first message per field (what forms display). */
export function validationError(error: z.ZodError): AppError {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    fieldErrors[key] ??= issue.message;
  }
  return new AppError("VALIDATION", Object.values(fieldErrors)[0] ?? "Invalid input", { fieldErrors });
}

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}
