// What the tRPC routers, the artifact compiler worker, the public page route and other contexts may
// import from artifacts (ADR 0010).
export { addArtifactVersion } from "./add-version";
export { approveArtifact } from "./approve-artifact";
export type { ArtifactView, BuildSummary } from "./artifact-views";
export { bundleFile, getBuildFile } from "./build-files";
export { createArtifact } from "./create-artifact";
export { diffVersions } from "./diff-versions";
export { type ArtifactDetail, getArtifact } from "./get-artifact";
export { type BuildDetail, getBuild } from "./get-build";
export { getPublishedPage } from "./get-published-page";
export { type ArtifactIr, artifactIrSchema, parseIr, starterIr } from "./ir";
export { listArtifacts } from "./list-artifacts";
export { locateArtifact } from "./locate-artifact";
export { publishArtifact } from "./publish-artifact";
export { requestBuild } from "./request-build";
export { requestChanges } from "./request-changes";
export { submitForReview } from "./submit-for-review";
