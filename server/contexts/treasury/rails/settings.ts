// The treasury's rail and anomaly settings, derived once from the parsed environment (STYLE 9);
// tests build them directly. createRails gives the adapters by name.
import type { Db } from "@/server/shared/db";
import type { Env } from "@/server/shared/env";
import { AppError } from "@/server/shared/errors";
import type { RailName } from "@/server/shared/events/catalog/treasury-rails";
import type { RailAdapter } from "./rail";
import { createSandboxRail, type SandboxRail, type SandboxRailSettings } from "./sandbox-rail";
import { createStripeRail, type StripeRailSettings } from "./stripe-rail";

export type VelocitySettings = { windowSeconds: number; maxIntents: number; maxAmountMinor: bigint };
export type BurnSettings = { windowSeconds: number; factor: number; minMinor: bigint };

export type TreasurySettings = {
  /** Where approved intents are paid. */
  defaultRail: RailName;
  sandbox: SandboxRailSettings;
  stripe: StripeRailSettings | null;
  stripeWebhookSecret: string | null;
  reconcileEverySeconds: number;
  velocity: VelocitySettings;
  burn: BurnSettings;
};

export function treasurySettingsFromEnv(env: Env): TreasurySettings {
  return {
    defaultRail: env.TREASURY_RAIL,
    sandbox: {
      settleMs: env.SANDBOX_RAIL_SETTLE_MS,
      failCounterparties: env.SANDBOX_RAIL_FAIL_COUNTERPARTIES.split(",")
        .map((c) => c.trim())
        .filter((c) => c.length > 0),
      failureRate: env.SANDBOX_RAIL_FAILURE_RATE,
    },
    stripe: env.STRIPE_SECRET_KEY
      ? { secretKey: env.STRIPE_SECRET_KEY, ...(env.STRIPE_API_URL ? { apiUrl: env.STRIPE_API_URL } : {}) }
      : null,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET ?? null,
    reconcileEverySeconds: env.TREASURY_RECONCILE_EVERY_SECONDS,
    velocity: {
      windowSeconds: env.TREASURY_VELOCITY_WINDOW_SECONDS,
      maxIntents: env.TREASURY_VELOCITY_MAX_INTENTS,
      maxAmountMinor: env.TREASURY_VELOCITY_MAX_AMOUNT_MINOR,
    },
    burn: {
      windowSeconds: env.TREASURY_BURN_WINDOW_SECONDS,
      factor: env.TREASURY_BURN_SPIKE_FACTOR,
      minMinor: env.TREASURY_BURN_MIN_MINOR,
    },
  };
}

export type Rails = {
  defaultRail: RailName;
  sandbox: SandboxRail;
  /** The adapter of a rail; UNAVAILABLE when it is not configured (Stripe without a key). */
  get(name: RailName): RailAdapter;
  /** The rails that are configured, for scheduled reconciliation. */
  configured(): RailName[];
};

export function createRails(db: Db, settings: TreasurySettings): Rails {
  const sandbox = createSandboxRail(db, settings.sandbox);
  const stripe = settings.stripe ? createStripeRail(settings.stripe) : null;
  return {
    defaultRail: settings.defaultRail,
    sandbox,
    get(name) {
      if (name === "sandbox") return sandbox;
      if (stripe) return stripe;
      throw new AppError("UNAVAILABLE", "The Stripe rail is not configured (STRIPE_SECRET_KEY is not set)", {
        reason: "rail_not_configured",
      });
    },
    configured: () => (stripe ? ["sandbox", "stripe"] : ["sandbox"]),
  };
}
