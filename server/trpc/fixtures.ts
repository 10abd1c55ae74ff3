// Test fixtures for the tRPC layer: a portfolio with one member per role, an outsider in another
// portfolio, and contexts acting as each of them. Used by *.int.test.ts files only.
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { loadPrincipal, type Principal } from "@/server/contexts/identity/principal";
import { registerUser } from "@/server/contexts/identity/register-user";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import type { Db } from "@/server/shared/db";
import { type Role, roles } from "@/server/shared/events/catalog";
import { createLogger } from "@/server/shared/logger";
import type { TrpcContext } from "./init";
import { createCaller } from "./root";

export type RoleFixture = {
  portfolioId: string;
  otherPortfolioId: string;
  principals: Record<Role | "outsider", Principal>;
  passwords: Record<Role | "outsider", string>;
  ctx(as: Role | "outsider" | "signed_out"): TrpcContext;
  caller(as: Role | "outsider" | "signed_out"): ReturnType<typeof createCaller>;
};

export async function roleFixture(
  db: Db,
  tag = Math.random().toString(36).slice(2, 8),
): Promise<RoleFixture> {
  const actor = { type: "system" as const, id: "fixture" };
  const correlationId = `cor_fixture_${tag}`;
  const { portfolioId } = await createPortfolio({ db, actor, correlationId, name: `Fixture ${tag}` });
  const { portfolioId: otherPortfolioId } = await createPortfolio({
    db,
    actor,
    correlationId,
    name: `Other ${tag}`,
  });
  const principals = {} as RoleFixture["principals"];
  const passwords = {} as RoleFixture["passwords"];
  for (const who of [...roles, "outsider"] as const) {
    const password = `pw-${who}-${tag}`;
    const { userId } = await registerUser({
      db,
      actor,
      correlationId,
      email: `${who}-${tag}@example.test`,
      name: who,
      password,
    });
    await grantMembership({
      db,
      actor,
      correlationId,
      userId,
      portfolioId: who === "outsider" ? otherPortfolioId : portfolioId,
      role: who === "outsider" ? "admin" : who,
    });
    principals[who] = (await loadPrincipal(db, userId))!;
    passwords[who] = password;
  }
  const log = createLogger({ name: "test", level: "silent" });
  const ctx = (as: Role | "outsider" | "signed_out"): TrpcContext => ({
    db,
    log,
    principal: as === "signed_out" ? null : principals[as],
    correlationId: `cor_${as}_${tag}`,
  });
  return { portfolioId, otherPortfolioId, principals, passwords, ctx, caller: (as) => createCaller(ctx(as)) };
}
