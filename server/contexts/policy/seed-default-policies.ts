import type { Clock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { type PolicyScope, policyScopes } from "@/server/shared/events/catalog/policy";
import type { EventActor } from "@/server/shared/events/envelope";
import { defaultPolicyText } from "./defaults";
import { compilePolicySet } from "./engine";
import { appendPolicyVersion } from "./publish-policy-version";

/**
 * Installs the default treasury, tools and publishing policy sets (defaults/*.cedar) for a
 * portfolio, in one transaction, each as version 1 with a policy.version_published event.
 * Idempotent: a scope that already has an active version (seeded or published by an admin) is
 * left alone. A system operation (portfolio set-up, scripts), so it takes no role.
 */
export async function seedDefaultPolicies(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  portfolioId: string;
}): Promise<{ installed: PolicyScope[] }> {
  const compiled = policyScopes.map((scope) => {
    const text = defaultPolicyText(scope);
    const result = compilePolicySet(scope, text);
    invariant(
      result.ok,
      `the default ${scope} policy compiles: ${JSON.stringify(result.ok ? [] : result.problems)}`,
    );
    return { scope, text, policySet: result.policySet };
  });
  return withTransaction(options.db, async (tx) => {
    const installed: PolicyScope[] = [];
    for (const { scope, text, policySet } of compiled) {
      const result = await appendPolicyVersion(tx, options, {
        portfolioId: options.portfolioId,
        scope,
        text,
        note: "Default policy set",
        policySet,
        onlyIfNoneActive: true,
      });
      if (result?.changed) installed.push(scope);
    }
    return { installed };
  });
}
