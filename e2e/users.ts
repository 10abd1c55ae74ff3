import type { Role } from "@/server/shared/events/catalog";

/** The journey users e2e/serve.ts creates, one per role, all with E2E_PASSWORD. */
export const e2eUsers: Record<Role, string> = {
  founder: "founder@e2e.test",
  finance_controller: "finance@e2e.test",
  auditor: "auditor@e2e.test",
  admin: "admin@e2e.test",
};
