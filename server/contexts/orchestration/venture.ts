// Venture rules, pure: commands and state in, events or an AppError out. No database, no clock.
import { AppError } from "@/server/shared/errors";
import type { EventPayload } from "@/server/shared/events/catalog";
import { ventureStages } from "@/server/shared/events/catalog/orchestration";

export { ventureStages };
export type VentureStage = (typeof ventureStages)[number];

export type VentureState = {
  id: string;
  portfolioId: string;
  status: "provisioning" | "ready";
  version: number;
};

export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
}

export function decideCreateVenture(command: {
  ventureId: string;
  portfolioId: string;
  name: string;
  goal: string | null;
  slugTaken: boolean;
}): EventPayload<"orchestration.venture_created"> {
  const slug = slugify(command.name);
  if (slug.length === 0) {
    throw new AppError("BAD_REQUEST", "name must contain at least one letter or digit", {
      fields: { name: "needs a letter or digit" },
    });
  }
  if (command.slugTaken) {
    throw new AppError(
      "CONFLICT",
      `A venture named like "${command.name}" (${slug}) already exists in this portfolio`,
      {
        fields: { name: "taken" },
      },
    );
  }
  return {
    ventureId: command.ventureId,
    portfolioId: command.portfolioId,
    name: command.name,
    slug,
    goal: command.goal,
    stage: "idea",
  };
}

/** Provisioning happens once; a second request for a ready venture decides nothing. */
export function decideProvision(
  state: VentureState,
  provisionedBy: string,
): EventPayload<"orchestration.venture_provisioned"> | null {
  if (state.status === "ready") return null;
  return { ventureId: state.id, provisionedBy };
}

/**
 * ORCH-001 lifecycle: a venture moves forward one stage at a time
 * (idea → validating → building → launched → scaling) and may be sunset from any stage; sunset is
 * final. Moving to the stage it is in decides nothing (null).
 */
export function decideStageChange(
  ventureId: string,
  from: VentureStage,
  to: VentureStage,
): { from: VentureStage; to: VentureStage } | null {
  if (from === to) return null;
  if (from === "sunset") {
    throw new AppError("UNPROCESSABLE", `Venture ${ventureId} is sunset; its stage no longer changes`, {
      reason: "venture_sunset",
      fields: { stage: "sunset is final" },
    });
  }
  const next = ventureStages[ventureStages.indexOf(from) + 1];
  if (to !== "sunset" && to !== next) {
    throw new AppError(
      "UNPROCESSABLE",
      `Venture ${ventureId} is ${from}: it can move to ${next} or sunset, not ${to}`,
      { reason: "stage_transition", fields: { stage: `${next} or sunset` } },
    );
  }
  return { from, to };
}

/** ORCH-005 settings: a concurrency limit of 0 stops dispatch for the venture without pausing it. */
export function validateLimits(limits: { concurrencyLimit: number; weight: number }): void {
  const fields: Record<string, string> = {};
  if (
    !Number.isInteger(limits.concurrencyLimit) ||
    limits.concurrencyLimit < 0 ||
    limits.concurrencyLimit > 1_000
  ) {
    fields.concurrencyLimit = "an integer from 0 to 1000";
  }
  if (!Number.isInteger(limits.weight) || limits.weight < 1 || limits.weight > 1_000) {
    fields.weight = "an integer from 1 to 1000";
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid limits: ${Object.entries(fields)
        .map(([f, m]) => `${f} ${m}`)
        .join("; ")}`,
      {
        fields,
      },
    );
  }
}
