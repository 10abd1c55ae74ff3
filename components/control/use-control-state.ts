"use client";
// The kill-switch state as every page sees it: polled each second (a server-sent-events feed
// replaces the polling later). The header button, the banner and /control share this one query.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useTRPC } from "@/components/trpc/react";

export const controlPollMs = 1_000;

export function useControlState() {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.control.getState.queryOptions(),
    refetchInterval: controlPollMs,
    // A stale "running" must not linger: always refetch when the window regains focus.
    refetchOnWindowFocus: "always",
    staleTime: 0,
  });
}

/** Pause or resume; refreshes the state and the confirmations once it is recorded. */
export function useControlChange(kind: "pause" | "resume", onDone: () => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const procedure = kind === "pause" ? trpc.control.pause : trpc.control.resume;
  return useMutation(
    procedure.mutationOptions({
      onSuccess: async () => {
        onDone();
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.control.getState.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.control.listConfirmations.queryKey() }),
        ]);
      },
    }),
  );
}

/** Field errors of a refused request, e.g. { reason: "give a reason of at least 3 characters" }. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function formatTime(at: Date): string {
  return at.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
