// Published pages (ARTIF-007): /p/<venture slug>/<artifact slug> serves the HTML of the build that
// passed review and the publishing policy. Public, like /api/health: it answers without a
// signed-in user, so it calls the artifacts context directly with the web runtime's database
// rather than through a signed-in tRPC procedure. Nothing else is reachable here.
import { getPublishedPage } from "@/server/contexts/artifacts/api";
import { webRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

const slug = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/;

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ ventureSlug: string; artifactSlug: string }> },
) {
  const { ventureSlug, artifactSlug } = await params;
  if (!slug.test(ventureSlug) || !slug.test(artifactSlug)) return new Response("Not found", { status: 404 });
  const page = await getPublishedPage({ db: webRuntime().db, ventureSlug, artifactSlug });
  if (!page) return new Response("Not found", { status: 404, headers: { "content-type": "text/plain" } });
  return new Response(new Uint8Array(page.html), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
      etag: `"${page.sha256}"`,
      "x-build-hash": page.buildHash,
      "cache-control": "public, max-age=60",
    },
  });
}
