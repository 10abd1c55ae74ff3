// The review lifecycle (ARTIF-007) as pure rules: draft → in_review → approved → published, back
// to draft on changes requested or a new version. Separation of duties: whoever wrote the current
// version or submitted it for review does not approve it. Each rule returns what happens or throws
// the AppError a person sees; time and ids come in from the caller.
import { AppError } from "@/server/shared/errors";
import type { ArtifactStatus } from "@/server/shared/events/catalog/artifacts";

export type ArtifactState = {
  id: string;
  status: ArtifactStatus;
  currentVersion: number;
  authorId: string;
  submittedBy: string | null;
  reviewBuildId: string | null;
  publishedBuildId: string | null;
};

export type BuildFacts = { id: string; status: string; versionNumber: number; artifactId: string } | null;

/** Submit for review: a draft, with a succeeded build of its current version (the latest if none named). */
export function decideSubmit(state: ArtifactState, build: BuildFacts): { buildId: string } {
  if (state.status !== "draft") {
    throw new AppError(
      "CONFLICT",
      `Artifact ${state.id} is ${state.status}: only a draft is submitted for review`,
      {
        status: state.status,
      },
    );
  }
  if (!build || build.artifactId !== state.id) {
    throw new AppError(
      "UNPROCESSABLE",
      `Artifact ${state.id} has no build of version ${state.currentVersion} to review: build it first`,
      {
        fields: { buildId: "no succeeded build of the current version" },
      },
    );
  }
  if (build.status !== "succeeded" || build.versionNumber !== state.currentVersion) {
    throw new AppError(
      "UNPROCESSABLE",
      `Build ${build.id} is ${build.status} (version ${build.versionNumber}); a review needs a succeeded build of version ${state.currentVersion}`,
      { fields: { buildId: "not a succeeded build of the current version" } },
    );
  }
  return { buildId: build.id };
}

function assertInReview(state: ArtifactState, what: string): string {
  if (state.status !== "in_review" || !state.reviewBuildId) {
    throw new AppError(
      "CONFLICT",
      `Artifact ${state.id} is ${state.status}: only an artifact in review can be ${what}`,
      {
        status: state.status,
      },
    );
  }
  return state.reviewBuildId;
}

/** Approve: in review, and the approver is neither the author of the version nor its submitter. */
export function decideApprove(state: ArtifactState, actorId: string): { buildId: string } {
  const buildId = assertInReview(state, "approved");
  if (actorId === state.authorId) {
    throw new AppError(
      "FORBIDDEN",
      `You wrote version ${state.currentVersion} of artifact ${state.id}: another person must approve it (separation of duties)`,
      { reason: "separation_of_duties" },
    );
  }
  if (actorId === state.submittedBy) {
    throw new AppError(
      "FORBIDDEN",
      `You submitted artifact ${state.id} for review: another person must approve it (separation of duties)`,
      { reason: "separation_of_duties" },
    );
  }
  return { buildId };
}

/** Send back to draft with a note; anyone allowed to review may, the author included. */
export function decideRequestChanges(state: ArtifactState, note: string): { buildId: string; note: string } {
  const buildId = assertInReview(state, "sent back");
  const trimmed = note.trim();
  if (trimmed.length < 3 || trimmed.length > 1_000) {
    throw new AppError("BAD_REQUEST", "A note of 3-1000 characters says what to change", {
      fields: { note: "3-1000 characters" },
    });
  }
  return { buildId, note: trimmed };
}

/** What publishing starts from; whether it may is the publishing policy's decision. */
export function decidePublishable(state: ArtifactState): { buildId: string | null } {
  if (state.status === "published" && state.publishedBuildId === state.reviewBuildId) {
    throw new AppError("CONFLICT", `Artifact ${state.id} is already published`, { status: state.status });
  }
  return { buildId: state.reviewBuildId };
}

/** A new version starts a new review: whatever the status, the artifact is a draft again. */
export function statusAfterNewVersion(): ArtifactStatus {
  return "draft";
}
