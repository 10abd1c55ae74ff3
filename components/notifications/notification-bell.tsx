"use client";
// The bell in the header of every page (CTRL-006): the unread count as a badge, and a dropdown of
// the latest notifications with mark read, mark all read, and the way to the full list (and, for
// admins, to the outgoing webhooks). New notifications arrive without reload.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { Badge } from "@/components/ui/badge";
import {
  formatWhen,
  kindLabels,
  kindTones,
  useMarkRead,
  useNotificationFeed,
  useNotifications,
} from "./use-notifications";

export function NotificationBell() {
  const portfolio = useCurrentPortfolio();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const list = useNotifications({ limit: 8 });
  useNotificationFeed();
  const markRead = useMarkRead();
  const unread = list.data?.unreadCount ?? 0;

  useEffect(() => {
    if (!open) return;
    const onClick = (event: MouseEvent) => {
      if (panel.current && !panel.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("mousedown", onClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div className="relative" ref={panel}>
      <button
        type="button"
        data-testid="notification-bell"
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : "Notifications"}
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
        className="relative flex h-8 w-8 items-center justify-center rounded-md text-slate-600 hover:bg-slate-100 hover:text-slate-900"
      >
        <svg
          aria-hidden
          viewBox="0 0 24 24"
          className="h-5 w-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
        >
          <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {unread > 0 ? (
          <span
            data-testid="notification-badge"
            className="absolute -right-1 -top-1 flex h-4 min-w-4 items-center justify-center rounded-full bg-red-600 px-1 text-[10px] font-semibold leading-none text-white"
          >
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div
          role="dialog"
          aria-label="Notifications"
          data-testid="notification-panel"
          className="absolute right-0 z-30 mt-2 w-96 overflow-hidden rounded-lg border border-slate-200 bg-white shadow-lg"
        >
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2.5">
            <span className="text-sm font-semibold text-slate-900">Notifications</span>
            <button
              type="button"
              className="text-xs text-slate-600 hover:text-slate-900 disabled:text-slate-300"
              disabled={unread === 0 || markRead.isPending}
              onClick={() => markRead.mutate({ portfolioId: portfolio.id, all: true })}
            >
              Mark all read
            </button>
          </div>
          {list.data && list.data.items.length > 0 ? (
            <ul
              className="max-h-96 divide-y divide-slate-100 overflow-y-auto"
              data-testid="notification-items"
            >
              {list.data.items.map((item) => (
                <li key={item.id}>
                  <button
                    type="button"
                    data-testid="notification-item"
                    data-unread={item.readAt === null}
                    className={`block w-full px-4 py-3 text-left hover:bg-slate-50 ${item.readAt ? "" : "bg-sky-50/60"}`}
                    onClick={() => {
                      if (!item.readAt) markRead.mutate({ portfolioId: portfolio.id, ids: [item.id] });
                      setOpen(false);
                      if (item.link) router.push(item.link);
                    }}
                  >
                    <div className="flex items-center gap-2">
                      <Badge tone={kindTones[item.kind]}>{kindLabels[item.kind] ?? item.kind}</Badge>
                      <span className="ml-auto text-xs text-slate-400">{formatWhen(item.occurredAt)}</span>
                      {item.readAt ? null : (
                        <span className="h-2 w-2 rounded-full bg-sky-500" title="unread" />
                      )}
                    </div>
                    <p className="mt-1 text-sm font-medium text-slate-900">{item.title}</p>
                    <p className="mt-0.5 line-clamp-2 text-xs text-slate-600">{item.body}</p>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="px-4 py-8 text-center text-sm text-slate-500">
              {list.isLoading
                ? "Loading…"
                : "Nothing yet. Approvals, escalations, freezes, findings and pauses show up here."}
            </p>
          )}
          <div className="flex items-center justify-between border-t border-slate-100 px-4 py-2 text-xs">
            <Link
              href="/notifications"
              className="font-medium text-slate-700 hover:text-slate-900"
              onClick={() => setOpen(false)}
            >
              See all notifications
            </Link>
            {portfolio.role === "admin" ? (
              <Link
                href="/webhooks"
                className="text-slate-500 hover:text-slate-900"
                onClick={() => setOpen(false)}
              >
                Outgoing webhooks
              </Link>
            ) : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
