import { VentureDetail } from "@/components/orchestration/venture-detail";

export default async function VenturePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <VentureDetail ventureId={id} />;
}
