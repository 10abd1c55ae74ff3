// Identity events: people, memberships, API tokens.
import { z } from "zod";

export const roles = ["founder", "finance_controller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

const isoTime = z.iso.datetime({ offset: true });

export const identityEvents = {
  "identity.user_registered": {
    schemaVersion: 1,
    payload: z.object({ userId: z.string(), email: z.string(), name: z.string() }).strict(),
  },
  "identity.membership_granted": {
    schemaVersion: 1,
    payload: z.object({ userId: z.string(), portfolioId: z.string(), role: z.enum(roles) }).strict(),
  },
  "identity.api_token_created": {
    schemaVersion: 1,
    payload: z
      .object({ tokenId: z.string(), userId: z.string(), name: z.string(), expiresAt: isoTime.nullable() })
      .strict(),
  },
} as const;
