import type { Db } from "@/server/shared/db";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";
import type { EventActor } from "@/server/shared/events/envelope";

export type PolicyVersionView = {
  portfolioId: string;
  scope: PolicyScope;
  number: number;
  versionHash: string;
  policyIds: string[];
  note: string | null;
  text: string;
  createdBy: EventActor;
  createdAt: Date;
  active: boolean;
};

const versionsMax = 200;

/** A portfolio's policy versions, newest first, for one scope or all; the active one is marked. */
export async function listPolicyVersions(options: {
  db: Db;
  portfolioId: string;
  scope?: PolicyScope;
  limit?: number;
}): Promise<PolicyVersionView[]> {
  const where = { portfolioId: options.portfolioId, ...(options.scope ? { scope: options.scope } : {}) };
  const [sets, versions] = await Promise.all([
    options.db.policySet.findMany({ where, select: { scope: true, activeNumber: true } }),
    options.db.policyVersion.findMany({
      where,
      select: {
        portfolioId: true,
        scope: true,
        number: true,
        versionHash: true,
        policyIds: true,
        note: true,
        text: true,
        createdByType: true,
        createdById: true,
        createdAt: true,
      },
      orderBy: [{ scope: "asc" }, { number: "desc" }],
      take: Math.min(options.limit ?? 50, versionsMax),
    }),
  ]);
  const activeByScope = new Map(sets.map((s) => [s.scope, s.activeNumber]));
  return versions.map(({ createdByType, createdById, ...version }) => ({
    ...version,
    scope: version.scope as PolicyScope,
    createdBy: { type: createdByType as EventActor["type"], id: createdById },
    active: activeByScope.get(version.scope) === version.number,
  }));
}
