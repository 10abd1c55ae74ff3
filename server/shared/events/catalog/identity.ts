// Identity events: people, memberships, API tokens.
import { z } from "zod";
import { withPersonalData } from "../personal-data";

export const roles = ["founder", "finance_controller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

const isoTime = z.iso.datetime({ offset: true });

export const identityEvents = {
  /** The email and name are the person's data: stored sealed with their key (docs/decisions/0013). */
  "identity.user_registered": withPersonalData(
    {
      // 2: the email and name moved into the sealed `pii` section.
      schemaVersion: 2,
      payload: z.object({ userId: z.string(), email: z.string(), name: z.string() }).strict(),
    },
    {
      subjectType: "person",
      subject: { idField: "userId" },
      fields: ["email", "name"],
      lookupFields: ["email"],
    },
  ),
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
