"use client";
// A form bound to a server action: shows the action's error or success message and per-field errors,
// and disables its submit button while the action runs.
import { createContext, type ReactNode, useActionState, useContext } from "react";
import { useFormStatus } from "react-dom";
import type { FormState } from "~/server/form-state.ts";

const FormStateContext = createContext<FormState>({});

export function ActionForm({
  action,
  children,
  className = "stack",
  submitLabel,
  submitClassName,
  confirm,
}: {
  action: (state: FormState, form: FormData) => Promise<FormState>;
  children?: ReactNode;
  className?: string;
  submitLabel?: string;
  submitClassName?: string;
  confirm?: string;
}) {
  const [state, formAction] = useActionState(action, {});
  return (
    <FormStateContext.Provider value={state}>
      <form
        action={formAction}
        className={className}
        onSubmit={(e) => {
          if (confirm && !window.confirm(confirm)) e.preventDefault();
        }}
      >
        {state.error ? (
          <p className="notice error" role="status" data-testid="form-error">
            {state.error}
          </p>
        ) : null}
        {state.message ? (
          <p className="notice ok" role="status" data-testid="form-message">
            {state.message}
          </p>
        ) : null}
        {children}
        {submitLabel ? <SubmitButton label={submitLabel} className={submitClassName} /> : null}
      </form>
    </FormStateContext.Provider>
  );
}

export function SubmitButton({ label, className }: { label: string; className?: string }) {
  const { pending } = useFormStatus();
  return (
    <div>
      <button type="submit" disabled={pending} className={className}>
        {pending ? "Working…" : label}
      </button>
    </div>
  );
}

export function FieldError({ name }: { name: string }) {
  const state = useContext(FormStateContext);
  const message = state.fieldErrors?.[name];
  return message ? <span className="error small">{message}</span> : null;
}
