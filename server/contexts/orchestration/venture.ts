// Venture rules, pure: commands and state in, events or an AppError out. No database, no clock.
import { AppError } from "@/server/shared/errors";
import type { EventPayload } from "@/server/shared/events/catalog";

export const ventureStages = ["idea", "validating", "building", "launched", "scaling", "sunset"] as const;
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
