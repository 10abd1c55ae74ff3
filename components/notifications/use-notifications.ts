"use client";
// The caller's notifications in the current portfolio, kept current without reload: a
// server-sent-events subscription (resumed from the last seen seq on reconnect) refreshes the
// queries when a new one arrives; a slow poll covers the moments the feed is reconnecting.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";

const fallbackPollMs = 30_000;

export function useNotifications(options: { unreadOnly?: boolean; limit?: number } = {}) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  return useQuery({
    ...trpc.notifications.list.queryOptions({ portfolioId: portfolio.id, ...options }),
    refetchInterval: fallbackPollMs,
  });
}

/** Subscribes once (in the bell) and refreshes every notifications query when something arrives. */
export function useNotificationFeed(onNew?: () => void) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useSubscription(
    trpc.notifications.feed.subscriptionOptions(
      { portfolioId: portfolio.id },
      {
        onData() {
          onNew?.();
          void queryClient.invalidateQueries({ queryKey: trpc.notifications.list.queryKey() });
        },
      },
    ),
  );
}

export function useMarkRead() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.notifications.markRead.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.notifications.list.queryKey() }),
    }),
  );
}

export const kindLabels: Record<string, string> = {
  "intent.approval_requested": "Approval",
  "tool.approval_requested": "Tool approval",
  "task.escalated": "Escalation",
  "treasury.frozen": "Freeze",
  "treasury.unfrozen": "Unfreeze",
  "finding.raised": "Finding",
  "control.paused": "Paused",
  "control.resumed": "Resumed",
};

export const kindTones: Record<string, "neutral" | "green" | "amber" | "red" | "blue"> = {
  "intent.approval_requested": "blue",
  "tool.approval_requested": "blue",
  "task.escalated": "amber",
  "treasury.frozen": "red",
  "treasury.unfrozen": "green",
  "finding.raised": "amber",
  "control.paused": "red",
  "control.resumed": "green",
};

export function formatWhen(date: Date): string {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return date.toLocaleDateString();
}
