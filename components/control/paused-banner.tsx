"use client";
// The banner on every page while paused: who paused, since when and why, with Resume for founders
// and admins (it asks for a reason too). Shown also when the state cannot be read: fail closed.
import Link from "next/link";
import { useCallback, useState } from "react";
import { Button } from "@/components/ui/button";
import { ReasonDialog } from "./reason-dialog";
import { fieldErrors, formatTime, useControlChange, useControlState } from "./use-control-state";

export function PausedBanner() {
  const control = useControlState();
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const resume = useControlChange("resume", close);
  const cancel = useCallback(() => {
    resume.reset();
    setOpen(false);
  }, [resume]);

  if (control.isError && !control.data) {
    return (
      <div role="alert" className="border-b border-amber-300 bg-amber-50" data-testid="control-unknown">
        <div className="mx-auto max-w-7xl px-6 py-2 text-sm text-amber-900">
          The kill-switch state cannot be read right now; workers treat that as paused until they can confirm
          it.
        </div>
      </div>
    );
  }
  const data = control.data;
  if (data?.state.state !== "paused") return null;
  const { state, viewer } = data;
  const errors = fieldErrors(resume.error);

  return (
    <>
      <div role="alert" className="border-b border-red-700 bg-red-600 text-white" data-testid="paused-banner">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-6 py-2.5 text-sm">
          <span className="rounded bg-white/15 px-2 py-0.5 text-xs font-bold uppercase tracking-wide">
            Paused
          </span>
          <p className="min-w-0 flex-1">
            Paused by <span className="font-semibold">{state.by.name}</span> since{" "}
            <time dateTime={state.since.toISOString()} className="font-semibold">
              {formatTime(state.since)}
            </time>
            : <span data-testid="paused-reason">{state.reason}</span>
          </p>
          <Link
            href="/control"
            className="underline decoration-white/60 underline-offset-2 hover:decoration-white"
          >
            Worker confirmations
          </Link>
          {viewer.mayResume ? (
            <Button
              variant="secondary"
              className="border-white bg-white py-1 text-red-700 hover:bg-red-50"
              onClick={() => setOpen(true)}
              data-testid="resume"
            >
              Resume
            </Button>
          ) : null}
        </div>
      </div>
      {open ? (
        <ReasonDialog
          title="Resume everything?"
          description={
            <>
              Workers reopen once each has confirmed the new state from the database; work handed back during
              the pause is picked up again, nothing is lost or done twice.
            </>
          }
          confirmLabel="Resume"
          pendingLabel="Resuming…"
          variant="primary"
          pending={resume.isPending}
          fieldError={errors.reason}
          error={resume.error && !errors.reason ? resume.error.message : undefined}
          onConfirm={(reason) => resume.mutate({ reason })}
          onCancel={cancel}
        />
      ) : null}
    </>
  );
}
