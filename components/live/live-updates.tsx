"use client";
// Keeps every page current without reload: subscribes to the portfolio's live feed (server-sent
// events, resumed from the last seen event on reconnect), refreshes the page's queries when
// something happens, and shows the latest activity.
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";

type Item = { id: string; type: string; occurredAt: string; stream: { type: string; id: string } };

export function LiveUpdates() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [items, setItems] = useState<Item[]>([]);
  const pending = useRef<NodeJS.Timeout | null>(null);
  const subscription = useSubscription(
    trpc.live.events.subscriptionOptions(
      { portfolioId: portfolio.id },
      {
        onData(message) {
          const event = message.data;
          setItems((previous) => [event, ...previous].slice(0, 8));
          // Many events can arrive together; refresh once for the burst.
          if (pending.current) clearTimeout(pending.current);
          pending.current = setTimeout(() => void queryClient.invalidateQueries(), 150);
        },
      },
    ),
  );
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  const connected = subscription.status === "pending";
  return (
    <div className="flex items-center gap-2 text-xs text-slate-500" data-testid="live-status">
      <span className={`h-2 w-2 rounded-full ${connected ? "bg-emerald-500" : "bg-slate-300"}`} />
      {connected ? "Live" : subscription.status === "connecting" ? "Connecting…" : "Offline"}
      {items[0] ? (
        <span
          className="hidden truncate text-slate-400 md:inline"
          title={items[0].type}
          data-testid="live-last-event"
        >
          · {items[0].type.replace(/^[a-z]+\./, "").replaceAll("_", " ")}
        </span>
      ) : null}
    </div>
  );
}
