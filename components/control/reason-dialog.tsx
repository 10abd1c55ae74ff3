"use client";
// A small modal asking why: pausing and resuming both need a reason, which the banner, the event
// log and the audit show.
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Textarea } from "@/components/ui/field";

export function ReasonDialog({
  title,
  description,
  confirmLabel,
  pendingLabel,
  variant,
  pending,
  error,
  fieldError,
  onConfirm,
  onCancel,
}: {
  title: string;
  description: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  variant: "danger" | "primary";
  pending: boolean;
  /** A refusal that is not about the reason (e.g. FORBIDDEN). */
  error?: string;
  fieldError?: string;
  onConfirm(reason: string): void;
  onCancel(): void;
}) {
  const [reason, setReason] = useState("");
  const titleId = useId();
  const reasonId = useId();

  // The parent re-renders every second (polling); keep the latest onCancel without re-running the
  // effect, which would steal focus back to the reason each time.
  const cancelRef = useRef(onCancel);
  cancelRef.current = onCancel;

  useEffect(() => {
    // Focus the reason at once: the dialog exists to ask for it.
    document.getElementById(reasonId)?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") cancelRef.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [reasonId]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onConfirm(reason);
  }

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-slate-900/40 px-4 pt-24">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="w-full max-w-md rounded-lg border border-slate-200 bg-white shadow-xl"
      >
        <form onSubmit={submit} className="space-y-4 p-5">
          <div>
            <h2 id={titleId} className="text-base font-semibold text-slate-900">
              {title}
            </h2>
            <div className="mt-1 text-sm text-slate-600">{description}</div>
          </div>
          <Field label="Reason" error={fieldError}>
            <Textarea
              id={reasonId}
              name="reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="What happened, and what you are checking"
              aria-invalid={fieldError ? true : undefined}
              maxLength={500}
            />
          </Field>
          {error ? (
            <p role="alert" className="text-sm text-red-600">
              {error}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <Button type="button" variant="secondary" onClick={onCancel} disabled={pending}>
              Cancel
            </Button>
            <Button type="submit" variant={variant} disabled={pending}>
              {pending ? pendingLabel : confirmLabel}
            </Button>
          </div>
        </form>
      </div>
    </div>
  );
}
