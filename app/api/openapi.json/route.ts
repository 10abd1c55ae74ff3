import { openApiDocument } from "@/server/trpc/openapi";

export const dynamic = "force-dynamic";

export function GET(request: Request) {
  return Response.json(openApiDocument(new URL(request.url).origin));
}
