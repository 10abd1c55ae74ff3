import type { Role } from "@/server/shared/events/catalog";

/** The journey users e2e/serve.ts creates, one per role, all with E2E_PASSWORD. */
export const e2eUsers: Record<Role, string> = {
  founder: "founder@e2e.test",
  finance_controller: "finance@e2e.test",
  auditor: "auditor@e2e.test",
  admin: "admin@e2e.test",
};

/**
 * Journey users beyond one per role, created by e2e/serve.ts with E2E_PASSWORD: the scale-up
 * journey (UJ-6) needs two distinct finance controllers to approve a four-eyes budget increase.
 */
export const e2eExtraUsers = [
  { email: "finance2@e2e.test", name: "second finance controller", role: "finance_controller" },
] as const satisfies ReadonlyArray<{ email: string; name: string; role: Role }>;
