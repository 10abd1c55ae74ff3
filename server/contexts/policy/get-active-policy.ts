import type { Db, Tx } from "@/server/shared/db";
import { type PolicyScope, policyScopes } from "@/server/shared/events/catalog/policy";
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

/** Which version is in force: its number and hash, or null when none is. */
export type ActivePolicyPointer = { number: number; hash: string } | null;

/**
 * A scalar subquery that reads the active pointer of a portfolio's policy set as JSON
 * (`{"number": …, "hash": …}`, or NULL when no version is active), for a caller that reads its
 * command's state in one statement (treasury's createIntent) and then calls resolveActivePolicy.
 * `portfolioId` is the caller's placeholder for the portfolio id ("$1") or a column of its query
 * ("i.portfolio_id").
 */
export function activePolicyPointerSql(portfolioId: string, scope: PolicyScope): string {
  if (
    !/^(\$[0-9]+|[a-z_]+\.[a-z_]+)$/.test(portfolioId) ||
    !(policyScopes as readonly string[]).includes(scope)
  ) {
    throw new Error(`activePolicyPointerSql: ${portfolioId}, ${scope}`);
  }
  return `(SELECT json_build_object('number', s.active_number, 'hash', v.version_hash)
             FROM policy_sets s
             JOIN policy_versions v
               ON v.portfolio_id = s.portfolio_id AND v.scope = s.scope AND v.number = s.active_number
            WHERE s.portfolio_id = ${portfolioId} AND s.scope = '${scope}')`;
}

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
  // Raw SQL: this runs in every tool call and money intent, where Prisma's query compiler costs
  // more than the query (server/shared/db.ts).
  const rows = await db.$queryRawUnsafe<Array<{ pointer: ActivePolicyPointer }>>(
    `SELECT ${activePolicyPointerSql("$1", scope)} AS pointer`,
    portfolioId,
  );
  return resolveActivePolicy({ db, portfolioId, scope, pointer: rows[0]?.pointer ?? null });
}

/**
 * The compiled set for a pointer read by the caller (see activePolicyPointerSql): from this
 * process's cache, or loaded (one query) and compiled once per version.
 */
export async function resolveActivePolicy(options: {
  db: Db | Tx;
  portfolioId: string;
  scope: PolicyScope;
  pointer: ActivePolicyPointer;
}): Promise<ActivePolicy> {
  const { db, portfolioId, scope, pointer } = options;
  if (pointer === null) {
    return { portfolioId, scope, versionNumber: null, policy: emptyPolicySet(scope) };
  }
  const { number: versionNumber, hash: versionHash } = pointer;
  const cached = cachedPolicySet(scope, versionHash);
  if (cached) return { portfolioId, scope, versionNumber, policy: cached };

  const [version] = await db.$queryRawUnsafe<Array<{ text: string }>>(
    "SELECT text FROM policy_versions WHERE portfolio_id = $1 AND scope = $2 AND number = $3",
    portfolioId,
    scope,
    versionNumber,
  );
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
