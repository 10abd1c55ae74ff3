import { cookies } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { KillSwitchButton } from "@/components/control/kill-switch";
import { PausedBanner } from "@/components/control/paused-banner";
import { LiveUpdates } from "@/components/live/live-updates";
import { NotificationBell } from "@/components/notifications/notification-bell";
import { PortfolioProvider } from "@/components/portfolio-context";
import { TrpcReactProvider } from "@/components/trpc/react";
import { signOut } from "@/server/auth";
import { serverCaller } from "@/server/trpc/server-caller";

const roleLabels = {
  founder: "Founder",
  finance_controller: "Finance controller",
  auditor: "Auditor",
  admin: "Admin",
};

/** The header's sections, in the order people reach for them. */
const sections = [
  ["/dashboard", "Dashboard"],
  ["/ventures", "Ventures"],
  ["/ventures/escalations", "Escalations"],
  ["/inbox", "Inbox"],
  ["/treasury", "Treasury"],
  ["/rebalancing", "Rebalancing"],
  ["/policies", "Policies"],
  ["/audit", "Audit"],
  ["/control", "Control"],
  ["/system", "System"],
] as const;

async function signOutAction() {
  "use server";
  await signOut({ redirectTo: "/sign-in" });
}

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const caller = await serverCaller();
  const me = await caller.identity.me().catch(() => null);
  if (!me) redirect("/sign-in");
  const chosen = (await cookies()).get("venture_portfolio")?.value;
  const portfolio = me.portfolios.find((p) => p.id === chosen) ?? me.portfolios[0] ?? null;
  return (
    <TrpcReactProvider>
      <PortfolioProvider
        value={portfolio ? { id: portfolio.id, name: portfolio.name, role: portfolio.role } : null}
      >
        <div className="min-h-full">
          <header className="border-b border-slate-200 bg-white">
            <div className="mx-auto flex h-14 max-w-7xl items-center gap-4 px-6">
              <Link href="/dashboard" className="flex items-center gap-2 font-semibold">
                <span className="flex h-7 w-7 items-center justify-center rounded-md bg-slate-900 text-sm text-white">
                  V
                </span>
                Venture
              </Link>
              <div className="ml-auto flex min-w-0 items-center gap-4 text-sm">
                {portfolio ? (
                  <span className="truncate whitespace-nowrap text-slate-600" data-testid="portfolio-role">
                    {portfolio.name} ·{" "}
                    <span className="font-medium text-slate-900">{roleLabels[portfolio.role]}</span>
                  </span>
                ) : null}
                <span className="hidden text-slate-500 xl:inline">{me.email}</span>
                {portfolio ? <LiveUpdates /> : null}
                {portfolio ? <NotificationBell /> : null}
                <KillSwitchButton />
                <form action={signOutAction}>
                  <button type="submit" className="whitespace-nowrap text-slate-600 hover:text-slate-900">
                    Sign out
                  </button>
                </form>
              </div>
            </div>
            {/* The sections on a row of their own, wrapping on narrow screens, so the header never
                pushes the page wider than the window. */}
            <nav className="mx-auto flex max-w-7xl flex-wrap items-center gap-1 px-4 pb-2 text-sm">
              {sections.map(([href, label]) => (
                <Link
                  key={href}
                  className="rounded-md px-3 py-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                  href={href}
                >
                  {label}
                </Link>
              ))}
            </nav>
          </header>
          <PausedBanner />
          <main className="mx-auto max-w-7xl px-6 py-8">
            {portfolio ? (
              children
            ) : (
              <p className="text-slate-600">
                You are not a member of any portfolio yet. Ask an admin to add you.
              </p>
            )}
          </main>
        </div>
      </PortfolioProvider>
    </TrpcReactProvider>
  );
}
