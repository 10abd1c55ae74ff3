"use client";
// The big red "Pause everything" button in the header of every page (CTRL-003). Asks for a reason,
// then pauses: dispatch stops, in-flight work is terminated, no tool call or money intent passes.
// Disabled for roles that may not pause (the server refuses them anyway).
import { useCallback, useState } from "react";
import { ReasonDialog } from "./reason-dialog";
import { fieldErrors, useControlChange, useControlState } from "./use-control-state";

export function KillSwitchButton() {
  const control = useControlState();
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const pause = useControlChange("pause", close);
  const cancel = useCallback(() => {
    pause.reset();
    setOpen(false);
  }, [pause]);

  const paused = control.data?.state.state === "paused";
  const mayPause = control.data?.viewer.mayPause ?? false;
  const errors = fieldErrors(pause.error);
  const title = !mayPause
    ? "Only a founder or an admin may pause everything"
    : paused
      ? "Everything is paused"
      : "Stop all dispatch, agents and payments now";

  return (
    <>
      <button
        type="button"
        data-testid="kill-switch"
        title={title}
        disabled={!control.data || !mayPause || paused}
        onClick={() => setOpen(true)}
        className="inline-flex shrink-0 items-center gap-2 whitespace-nowrap rounded-md bg-red-600 px-3.5 py-1.5 text-sm font-semibold text-white shadow-sm ring-1 ring-red-700 transition-colors hover:bg-red-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-400 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:bg-red-300 disabled:ring-red-300"
      >
        <span aria-hidden className="flex h-3.5 w-3.5 items-center justify-center gap-0.5">
          <span className="h-3.5 w-1 rounded-sm bg-white" />
          <span className="h-3.5 w-1 rounded-sm bg-white" />
        </span>
        {paused ? "Paused" : "Pause everything"}
      </button>
      {open ? (
        <ReasonDialog
          title="Pause everything?"
          description={
            <>
              Every worker stops dispatching at once, running agents and their processes are stopped, and no
              tool call or payment is approved until a founder or admin resumes.
            </>
          }
          confirmLabel="Pause everything"
          pendingLabel="Pausing…"
          variant="danger"
          pending={pause.isPending}
          fieldError={errors.reason}
          error={pause.error && !errors.reason ? pause.error.message : undefined}
          onConfirm={(reason) => pause.mutate({ reason })}
          onCancel={cancel}
        />
      ) : null}
    </>
  );
}
