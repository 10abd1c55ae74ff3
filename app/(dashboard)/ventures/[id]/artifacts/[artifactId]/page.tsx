import { ArtifactDetail } from "@/components/artifacts/artifact-detail";

export default async function ArtifactPage({
  params,
}: {
  params: Promise<{ id: string; artifactId: string }>;
}) {
  const { id, artifactId } = await params;
  return <ArtifactDetail ventureId={id} artifactId={artifactId} />;
}
