// Artifacts procedures (ARTIF-001…007): thin — validate, call one use-case, return a declared output.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  addArtifactVersion,
  approveArtifact,
  artifactIrSchema,
  bundleFile,
  createArtifact,
  diffVersions,
  getArtifact,
  getBuild,
  getBuildFile,
  listArtifacts,
  locateArtifact,
  publishArtifact,
  requestBuild,
  requestChanges,
  submitForReview,
} from "@/server/contexts/artifacts/api";
import { buildModes } from "@/server/shared/events/catalog/artifacts";
import { portfolioProcedure, signedInProcedure } from "@/server/trpc/init";
import { fileDownloadOutput } from "../compliance/outputs";
import {
  artifactDetailOutput,
  artifactOutput,
  buildDetailOutput,
  buildFileOutput,
  buildSummaryOutput,
  diffOutput,
} from "./outputs";

const ventureId = z.string().min(1);
const artifactId = z.string().min(1);
const ref = { ventureId, artifactId };

export const createArtifactInput = z
  .object({
    ventureId,
    ir: artifactIrSchema,
    slug: z
      .string()
      .regex(
        /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/,
        "lower-case letters, digits and -, at most 60 characters",
      )
      .nullish(),
  })
  .strict();

export const createArtifactProcedure = portfolioProcedure("artifact.edit")
  .input(createArtifactInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    createArtifact({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const addVersionInput = z.object({ ...ref, ir: artifactIrSchema }).strict();

export const addVersionProcedure = portfolioProcedure("artifact.edit")
  .input(addVersionInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    addArtifactVersion({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const listArtifactsInput = z.object({ ventureId }).strict();

export const listArtifactsProcedure = portfolioProcedure("venture.read")
  .input(listArtifactsInput)
  .output(z.array(artifactOutput))
  .query(({ ctx, input }) => listArtifacts({ db: ctx.db, ventureId: input.ventureId }));

export const getArtifactInput = z
  .object({ ...ref, versionNumber: z.number().int().positive().nullish() })
  .strict();

export const getArtifactProcedure = portfolioProcedure("venture.read")
  .input(getArtifactInput)
  .output(artifactDetailOutput)
  .query(({ ctx, input }) => getArtifact({ db: ctx.db, ...input }));

export const requestBuildInput = z
  .object({
    ...ref,
    versionNumber: z.number().int().positive().nullish(),
    mode: z.enum(buildModes).default("build"),
    sourceBuildId: z.string().min(1).nullish(),
  })
  .strict();

export const requestBuildProcedure = portfolioProcedure("artifact.edit")
  .input(requestBuildInput)
  .output(buildSummaryOutput)
  .mutation(({ ctx, input }) =>
    requestBuild({
      db: ctx.db,
      actor: ctx.actor,
      role: ctx.role,
      correlationId: ctx.correlationId,
      ...input,
    }),
  );

export const getBuildInput = z.object({ ...ref, buildId: z.string().min(1) }).strict();

export const getBuildProcedure = portfolioProcedure("venture.read")
  .input(getBuildInput)
  .output(buildDetailOutput)
  .query(({ ctx, input }) => getBuild({ db: ctx.db, ...input }));

export const buildFileInput = z
  .object({ ...ref, buildId: z.string().min(1), name: z.string().min(1).max(200) })
  .strict();

export const buildFileProcedure = portfolioProcedure("venture.read")
  .input(buildFileInput)
  .output(buildFileOutput)
  .query(async ({ ctx, input }) => {
    const file = await getBuildFile({ db: ctx.db, ...input });
    return {
      fileName: file.fileName,
      contentType: file.contentType,
      sha256: file.sha256,
      base64: file.bytes.toString("base64"),
    };
  });

export const bundleFileInput = z.object({ ...ref, buildId: z.string().min(1) }).strict();

export const bundleFileProcedure = portfolioProcedure("venture.read")
  .input(bundleFileInput)
  .output(fileDownloadOutput)
  .query(({ ctx, input }) => bundleFile({ db: ctx.db, ...input }));

export const diffVersionsInput = z
  .object({ ...ref, from: z.number().int().positive(), to: z.number().int().positive() })
  .strict();

export const diffVersionsProcedure = portfolioProcedure("venture.read")
  .input(diffVersionsInput)
  .output(diffOutput)
  .query(({ ctx, input }) => diffVersions({ db: ctx.db, ...input }));

export const submitForReviewInput = z.object({ ...ref, buildId: z.string().min(1).nullish() }).strict();

export const submitForReviewProcedure = portfolioProcedure("artifact.edit")
  .input(submitForReviewInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    submitForReview({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const approveArtifactInput = z
  .object({ ...ref, note: z.string().trim().max(1_000, "at most 1000 characters").nullish() })
  .strict();

export const approveArtifactProcedure = portfolioProcedure("artifact.review")
  .input(approveArtifactInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    approveArtifact({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const requestChangesInput = z.object({ ...ref, note: z.string() }).strict();

export const requestChangesProcedure = portfolioProcedure("artifact.review")
  .input(requestChangesInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    requestChanges({ db: ctx.db, actor: ctx.actor, correlationId: ctx.correlationId, ...input }),
  );

export const publishArtifactInput = z.object(ref).strict();

export const publishArtifactProcedure = portfolioProcedure("artifact.publish")
  .input(publishArtifactInput)
  .output(artifactOutput)
  .mutation(({ ctx, input }) =>
    publishArtifact({
      db: ctx.db,
      actor: ctx.actor,
      publisher: {
        kind: "user",
        userId: ctx.actor.id,
        portfolioId: ctx.portfolioId,
        portfolioRole: ctx.role,
      },
      correlationId: ctx.correlationId,
      ...input,
    }),
  );

/**
 * Which venture an artifact belongs to, for the /artifacts/{id} HTTP routes. Answers only members
 * of its portfolio (anyone else gets NOT_FOUND); the procedures it leads to authorize again.
 */
export const locateArtifactProcedure = signedInProcedure
  .input(z.object({ artifactId }).strict())
  .output(z.object({ artifactId: z.string(), ventureId: z.string() }))
  .query(async ({ ctx, input }) => {
    const located = await locateArtifact(ctx.db, input.artifactId);
    if (!located || !ctx.principal.memberships.some((m) => m.portfolioId === located.portfolioId)) {
      throw new TRPCError({ code: "NOT_FOUND", message: `Artifact ${input.artifactId} not found` });
    }
    return { artifactId: input.artifactId, ventureId: located.ventureId };
  });
