// `npm run demo`'s core, without the terminal: who the demo's people are, the history
// (seed-history.ts), their memberships in the demo portfolio, and the live run (live-run.ts).
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { type Role, roles } from "@/server/shared/events/catalog";
import { type LiveRun, startLiveRun } from "./live-run";
import type { DemoScale } from "./plan";
import { type HistoryResult, sealEverything, seedDemoHistory } from "./seed-history";

export type DemoMember = { userId: string; email: string; role: Role };

/** The development users `npm run db:seed` creates (scripts/seed.ts names them the same way). */
export function devUserEmail(role: Role): string {
  return `${role.replace("_", "-")}@venture.local`;
}

/**
 * The development users, one per role, by their seed emails. The founder and the finance
 * controller are needed (they run the history and the live run); a missing one is a NOT_FOUND that
 * says how to create them.
 */
export async function findDevUsers(db: Db): Promise<DemoMember[]> {
  const emails = roles.map(devUserEmail);
  const users = await db.$queryRawUnsafe<Array<{ id: string; email: string }>>(
    "SELECT id, email FROM users WHERE email = ANY($1::text[])",
    emails,
  );
  const members = roles.flatMap((role) => {
    const user = users.find((u) => u.email === devUserEmail(role));
    return user ? [{ userId: user.id, email: user.email, role }] : [];
  });
  const missing = (["founder", "finance_controller"] as const).filter(
    (r) => !members.some((m) => m.role === r),
  );
  if (missing.length > 0) {
    throw new AppError(
      "NOT_FOUND",
      `No development ${missing.join(" or ")} (${missing.map(devUserEmail).join(", ")}): start the system with \`npm run up\` (or run \`npm run db:seed\`) first`,
      { reason: "no_dev_users", missing },
    );
  }
  return members;
}

/** Starts a live run in the demo portfolio as its founder, approved by its finance people. */
export function startDemoLiveRun(
  db: Db,
  portfolioId: string,
  members: readonly DemoMember[],
): Promise<LiveRun> {
  const founder = members.find((m) => m.role === "founder");
  if (!founder)
    throw new AppError("BAD_REQUEST", "A live run needs a founder", { fields: { members: "a founder" } });
  return startLiveRun({
    db,
    portfolioId,
    founderUserId: founder.userId,
    approverUserIds: members.flatMap((m) =>
      m.role === "finance_controller" || m.role === "admin" ? [{ userId: m.userId, role: m.role }] : [],
    ),
  });
}

/**
 * Seeds the demo portfolio as the founder and the finance controller among `members`, making every
 * member a member of it with their role. Refuses (CONFLICT) when it exists. With `live`, the live
 * run starts as soon as the portfolio and its seed round are committed (the history's first step), so
 * its agents are at work while the rest of the history is written; `onLive` hears about it then.
 */
export async function seedDemo(options: {
  db: Db;
  scale: DemoScale;
  members: readonly DemoMember[];
  live?: boolean;
  now?: Date;
  onLive?: (run: LiveRun) => void;
  onProgress?: (message: string) => void;
}): Promise<{ history: HistoryResult; live: LiveRun | null }> {
  const { db, members } = options;
  const founder = members.find((m) => m.role === "founder");
  const finance = members.find((m) => m.role === "finance_controller");
  if (!founder || !finance) {
    throw new AppError("BAD_REQUEST", "The demo needs a founder and a finance controller among its members", {
      fields: { members: "a founder and a finance_controller" },
    });
  }
  let live: LiveRun | null = null;
  const history = await seedDemoHistory({
    db,
    scale: options.scale,
    now: options.now,
    onProgress: options.onProgress,
    people: {
      founder: { type: "user", id: founder.userId },
      financeController: { type: "user", id: finance.userId },
    },
    // The people see the portfolio fill up while it is written.
    onPortfolio: async (_tx, portfolioId) => {
      for (const member of members) {
        await grantMembership({
          db,
          actor: { type: "system", id: "demo" },
          correlationId: "cor_demo_members",
          userId: member.userId,
          portfolioId,
          role: member.role,
        });
      }
    },
    onFunded: options.live
      ? async (portfolioId) => {
          live = await startDemoLiveRun(db, portfolioId, members);
          options.onLive?.(live);
        }
      : undefined,
  });
  await sealEverything(db);
  return { history, live };
}
