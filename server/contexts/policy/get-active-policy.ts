import type { Db, Tx } from "@/server/shared/db";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";
import {
  type CompiledPolicySet,
  cachedPolicySet,
  compilePolicySet,
  defectivePolicySet,
  emptyPolicySet,
  versionHashOf,
} from "./engine";

export type ActivePolicy = {
  portfolioId: string;
  scope: PolicyScope;
  /** null when no version was ever published: the policy then denies everything. */
  versionNumber: number | null;
  policy: CompiledPolicySet;
};

/**
 * The policy set in force for a portfolio and scope, compiled. The active pointer is read on every
 * call (one indexed row), so a publish takes effect in every process at once; the compiled set is
 * cached per version hash, so the text is loaded and compiled once per process and version.
 * Fail closed: with no active version, or a stored version that cannot be used, every decision is
 * deny, and the decision's errors say why.
 */
export async function getActivePolicy(options: {
  db: Db | Tx;
  portfolioId: string;
  scope: PolicyScope;
}): Promise<ActivePolicy> {
  const { db, portfolioId, scope } = options;
  const set = await db.policySet.findUnique({
    where: { portfolioId_scope: { portfolioId, scope } },
    select: { activeNumber: true, active: { select: { versionHash: true } } },
  });
  if (!set || set.activeNumber === null || !set.active) {
    return { portfolioId, scope, versionNumber: null, policy: emptyPolicySet(scope) };
  }
  const versionNumber = set.activeNumber;
  const { versionHash } = set.active;
  const cached = cachedPolicySet(scope, versionHash);
  if (cached) return { portfolioId, scope, versionNumber, policy: cached };

  const version = await db.policyVersion.findUnique({
    where: { portfolioId_scope_number: { portfolioId, scope, number: versionNumber } },
    select: { text: true },
  });
  const where = `${scope} policy version ${versionNumber} of portfolio ${portfolioId}`;
  if (!version || versionHashOf(version.text) !== versionHash) {
    // The stored text is not the text that was published: decide nothing with it.
    const defect = `The ${where} does not match its version hash ${versionHash}`;
    return { portfolioId, scope, versionNumber, policy: defectivePolicySet(scope, versionHash, defect) };
  }
  const compiled = compilePolicySet(scope, version.text);
  if (!compiled.ok) {
    // Published texts compiled when published; this one no longer does (the schema changed since).
    const first = compiled.problems[0]?.message ?? "unknown problem";
    const defect = `The ${where} no longer compiles against the schema: ${first}`;
    return { portfolioId, scope, versionNumber, policy: defectivePolicySet(scope, versionHash, defect) };
  }
  return { portfolioId, scope, versionNumber, policy: compiled.policySet };
}
