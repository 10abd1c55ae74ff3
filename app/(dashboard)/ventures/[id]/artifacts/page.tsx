import { ArtifactsPanel } from "@/components/artifacts/artifacts-panel";

export default async function VentureArtifactsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ArtifactsPanel ventureId={id} />;
}
