// A file of a build for the signed-in person (session cookie): the preview (index.html, shown in a
// sandboxed iframe), the PDF, the PNG, the Markdown and the signed bundle, through the same tRPC
// procedure as the API. HTML is served with a content security policy that allows nothing to run
// or load except its own inline images and styles.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { createTrpcContext } from "@/server/trpc/context";
import { createCaller } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

export async function GET(
  request: Request,
  { params }: { params: Promise<{ id: string; artifactId: string; buildId: string; name: string }> },
) {
  const { id, artifactId, buildId, name } = await params;
  const ctx = await createTrpcContext({ headers: request.headers });
  try {
    const file = await createCaller(ctx).artifacts.buildFile({
      ventureId: id,
      artifactId,
      buildId,
      name: decodeURIComponent(name),
    });
    const inline = /^(text\/html|image\/|application\/pdf|text\/markdown)/.test(file.contentType);
    return new Response(new Uint8Array(Buffer.from(file.base64, "base64")), {
      status: 200,
      headers: {
        "content-type": file.contentType,
        "content-disposition": `${inline ? "inline" : "attachment"}; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
        "x-content-sha256": file.sha256,
        ...(file.contentType.startsWith("text/html")
          ? { "content-security-policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'" }
          : {}),
        "x-correlation-id": ctx.correlationId,
      },
    });
  } catch (error) {
    if (error instanceof TRPCError) {
      return new Response(error.message, {
        status: getHTTPStatusCodeFromError(error),
        headers: { "content-type": "text/plain" },
      });
    }
    throw error;
  }
}
