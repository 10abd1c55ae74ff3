import { AppError } from "@/server/shared/errors";
import type { EventPayload } from "@/server/shared/events/catalog";
import { appendEvents } from "@/server/shared/events/store";
import { getVenture, type VentureView } from "./get-venture";
import { ventureStream } from "./task-store";
import { slugify } from "./venture";
import { runVentureCommand, type VentureCommandOptions } from "./venture-command";

/** Renames a venture or changes its goal (ORCH-001); an update that changes nothing appends nothing. */
export async function updateVenture(
  options: VentureCommandOptions & { name?: string; goal?: string | null },
): Promise<VentureView> {
  await runVentureCommand(options, async (tx, venture, ctx) => {
    const payload: EventPayload<"orchestration.venture_updated"> = { ventureId: venture.id };
    if (options.name !== undefined && options.name.trim() !== venture.name) {
      const name = options.name.trim();
      const slug = slugify(name);
      if (slug.length === 0) {
        throw new AppError("BAD_REQUEST", "name must contain at least one letter or digit", {
          fields: { name: "needs a letter or digit" },
        });
      }
      if (slug !== venture.slug) {
        const taken = await tx.venture.count({
          where: { portfolioId: venture.portfolioId, slug, NOT: { id: venture.id } },
        });
        if (taken > 0) {
          throw new AppError(
            "CONFLICT",
            `A venture named like "${name}" (${slug}) already exists in this portfolio`,
            {
              fields: { name: "taken" },
            },
          );
        }
        payload.slug = slug;
      }
      payload.name = name;
    }
    if (options.goal !== undefined && (options.goal?.trim() || null) !== venture.goal) {
      payload.goal = options.goal?.trim() || null;
    }
    if (Object.keys(payload).length === 1) return;
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.venture_updated",
        stream: ventureStream(venture.id),
        expectedVersion: venture.version,
        portfolioId: venture.portfolioId,
        payload,
      },
    ]);
    await tx.venture.update({
      where: { id: venture.id, version: venture.version },
      data: {
        ...(payload.name !== undefined ? { name: payload.name } : {}),
        ...(payload.slug !== undefined ? { slug: payload.slug } : {}),
        ...(payload.goal !== undefined ? { goal: payload.goal } : {}),
        version: venture.version + 1,
      },
    });
  });
  return (await getVenture({ db: options.db, ventureId: options.ventureId }))!;
}
