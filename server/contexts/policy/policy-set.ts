// Policy set rules, pure: who may publish, what a valid version is, and what a publish records.
// No database and no clock; the use-cases load state and append what these decide.
import { z } from "zod";
import { AppError } from "@/server/shared/errors";
import type { EventPayload, Role } from "@/server/shared/events/catalog";
import { type PolicyScope, policyScopes } from "@/server/shared/events/catalog/policy";
import { type CompiledPolicySet, compilePolicySet, type PolicyProblem } from "./engine";

export const policyNoteLengthMax = 500;

/** The stream of events about one portfolio's policy set for one scope. */
export function policySetStream(portfolioId: string, scope: PolicyScope): { type: string; id: string } {
  return { type: "policy_set", id: `${portfolioId}/${scope}` };
}

/** Policy changes are admin-only (CTRL-005 roles): they change what every agent and intent may do. */
export function assertMayPublishPolicy(role: Role | null, portfolioId: string): void {
  if (role !== "admin") {
    throw new AppError(
      "FORBIDDEN",
      `Publishing a policy version in portfolio ${portfolioId} needs the admin role; the actor has ${role ?? "no role"} there`,
      { requiredRole: "admin", role },
    );
  }
}

export function parsePolicyScope(scope: string): PolicyScope {
  const parsed = z.enum(policyScopes).safeParse(scope);
  if (!parsed.success) {
    throw new AppError("BAD_REQUEST", `Unknown policy scope ${JSON.stringify(scope)}`, {
      fields: { scope: `one of ${policyScopes.join(", ")}` },
    });
  }
  return parsed.data;
}

export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line === null ? "" : `line ${problem.line}, column ${problem.column}: `;
  return `${where}${problem.message}`;
}

/**
 * Compiles the text or refuses it with BAD_REQUEST: details.fields.text lists every problem with
 * its line and column, details.problems carries them structured for inline display.
 */
export function compileOrRefuse(
  scope: PolicyScope,
  text: string,
): { policySet: CompiledPolicySet; warnings: PolicyProblem[] } {
  const result = compilePolicySet(scope, text);
  if (result.ok) return { policySet: result.policySet, warnings: result.warnings };
  const problems = [...result.problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new AppError(
    "BAD_REQUEST",
    `The ${scope} policy text has ${count}; first, ${formatProblem(problems[0]!)}`,
    {
      fields: { text: problems.map(formatProblem).join("\n") },
      problems,
    },
  );
}

export function parsePolicyNote(note: string | null | undefined): string | null {
  const trimmed = note?.trim() ?? "";
  if (trimmed.length > policyNoteLengthMax) {
    throw new AppError(
      "BAD_REQUEST",
      `The note has ${trimmed.length} characters; at most ${policyNoteLengthMax}`,
      {
        fields: { note: `at most ${policyNoteLengthMax} characters` },
      },
    );
  }
  return trimmed.length > 0 ? trimmed : null;
}

export type PolicySetState = {
  streamVersion: number;
  latestNumber: number;
  activeNumber: number | null;
  activeHash: string | null;
};

export type PublishDecision =
  | { kind: "unchanged"; versionNumber: number; versionHash: string }
  | {
      kind: "publish";
      expectedVersion: number;
      payload: EventPayload<"policy.version_published">;
    };

/**
 * Publishing the text that is already active changes nothing (a retried request is not a new
 * version); any other text becomes the next version and is made active at once.
 */
export function decidePublishVersion(
  command: {
    portfolioId: string;
    scope: PolicyScope;
    text: string;
    note: string | null;
    policySet: CompiledPolicySet;
  },
  state: PolicySetState,
): PublishDecision {
  const { policySet } = command;
  if (state.activeNumber !== null && state.activeHash === policySet.versionHash) {
    return { kind: "unchanged", versionNumber: state.activeNumber, versionHash: policySet.versionHash };
  }
  return {
    kind: "publish",
    expectedVersion: state.streamVersion,
    payload: {
      portfolioId: command.portfolioId,
      scope: command.scope,
      versionNumber: state.latestNumber + 1,
      versionHash: policySet.versionHash,
      previousVersionNumber: state.activeNumber,
      previousVersionHash: state.activeHash,
      policyIds: [...policySet.policyIds],
      text: command.text,
      note: command.note,
    },
  };
}
