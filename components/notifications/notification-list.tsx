"use client";
// /notifications: every notification of the caller in the current portfolio (and the
// deployment-wide ones), newest first; show unread only, mark one or all read, open what it is about.
import Link from "next/link";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { formatWhen, kindLabels, kindTones, useMarkRead, useNotifications } from "./use-notifications";

export function NotificationList() {
  const portfolio = useCurrentPortfolio();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const list = useNotifications({ unreadOnly, limit: 200 });
  const markRead = useMarkRead();
  const unread = list.data?.unreadCount ?? 0;

  return (
    <Card>
      <CardHeader
        title="Notifications"
        description={`${unread} unread in ${portfolio.name}. Approvals waiting, escalations, freezes, findings and pauses, for your role.`}
        action={
          <div className="flex items-center gap-2">
            <Button
              variant="secondary"
              onClick={() => setUnreadOnly((value) => !value)}
              data-testid="unread-filter"
            >
              {unreadOnly ? "Show all" : "Unread only"}
            </Button>
            <Button
              disabled={unread === 0 || markRead.isPending}
              onClick={() => markRead.mutate({ portfolioId: portfolio.id, all: true })}
              data-testid="mark-all-read"
            >
              Mark all read
            </Button>
          </div>
        }
      />
      {markRead.error ? <p className="px-5 pt-3 text-sm text-red-700">{markRead.error.message}</p> : null}
      {list.isLoading ? (
        <p className="px-5 py-8 text-sm text-slate-500">Loading…</p>
      ) : list.data && list.data.items.length > 0 ? (
        <ul className="divide-y divide-slate-100" data-testid="notification-list">
          {list.data.items.map((item) => (
            <li
              key={item.id}
              className={`grid gap-1 px-5 py-3 ${item.readAt ? "" : "bg-sky-50/60"}`}
              data-testid="notification-row"
              data-unread={item.readAt === null}
            >
              <div className="flex items-center gap-3">
                <Badge tone={kindTones[item.kind]}>{kindLabels[item.kind] ?? item.kind}</Badge>
                <span className="font-medium text-slate-900">{item.title}</span>
                <time
                  className="ml-auto text-xs text-slate-500"
                  dateTime={item.occurredAt.toISOString()}
                  title={item.occurredAt.toLocaleString()}
                >
                  {formatWhen(item.occurredAt)}
                </time>
              </div>
              <p className="text-sm text-slate-600">{item.body}</p>
              <div className="flex items-center gap-4 text-xs">
                {item.link ? (
                  <Link
                    href={item.link}
                    className="font-medium text-slate-700 underline-offset-2 hover:underline"
                  >
                    Open
                  </Link>
                ) : null}
                {item.readAt ? (
                  <span className="text-slate-400">Read {formatWhen(item.readAt)}</span>
                ) : (
                  <button
                    type="button"
                    className="text-slate-600 hover:text-slate-900"
                    disabled={markRead.isPending}
                    onClick={() => markRead.mutate({ portfolioId: portfolio.id, ids: [item.id] })}
                  >
                    Mark read
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p className="px-5 py-8 text-sm text-slate-500">
          {unreadOnly ? "Nothing unread." : "No notifications yet."}
        </p>
      )}
    </Card>
  );
}
