// What each portfolio role may do. Every tRPC procedure names one permission in its meta; the
// role x procedure matrix test walks the router and checks every procedure against this table.
import type { Role } from "@/server/shared/events/catalog";

export type { Role };

const everyone: readonly Role[] = ["founder", "finance_controller", "auditor", "admin"];

export const permissions = {
  "portfolio.read": everyone,
  "venture.read": everyone,
  "venture.create": ["founder", "admin"],
  "member.manage": ["admin"],
  "policy.read": everyone,
  "policy.publish": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function roleAllows(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}
