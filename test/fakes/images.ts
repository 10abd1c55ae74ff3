// A fake of two image-generation APIs on one local server, speaking their real formats so the real
// clients run (STYLE 20): OpenAI's POST /v1/images/generations (b64_json in data[]) — called through
// the `openai` SDK — and Google's Generative Language POST /v1beta/models/{model}:predict
// (predictions[].bytesBase64Encoded). Each test enqueues what the next request of each API gets;
// every request is recorded.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { drawImage } from "@/server/contexts/artifacts/render/png";

export type FakeImageReply =
  | { kind: "image"; width?: number; height?: number }
  | { kind: "error"; status: number; message?: string }
  | { kind: "hang" }
  /** 200 with no image in it (a safety filter, or an empty answer). */
  | { kind: "empty" };

export type FakeImagesServer = {
  url: string;
  requests: Array<{
    api: "openai" | "google";
    path: string;
    headers: http.IncomingHttpHeaders;
    body: Record<string, unknown>;
  }>;
  enqueue(api: "openai" | "google", ...replies: FakeImageReply[]): void;
  close(): Promise<void>;
};

export async function startFakeImages(): Promise<FakeImagesServer> {
  const queues = { openai: [] as FakeImageReply[], google: [] as FakeImageReply[] };
  const requests: FakeImagesServer["requests"] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      const url = req.url ?? "";
      const api = url.endsWith("/images/generations")
        ? "openai"
        : /\/v1beta\/models\/[^/]+:predict$/.test(url)
          ? "google"
          : null;
      if (req.method !== "POST" || !api) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: `no route ${url}` } }));
        return;
      }
      requests.push({ api, path: url, headers: req.headers, body });
      const reply = queues[api].shift() ?? { kind: "image" };
      if (reply.kind === "hang") return;
      if (reply.kind === "error") {
        const message = reply.message ?? `status ${reply.status}`;
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            api === "openai"
              ? {
                  error: {
                    message,
                    type: reply.status >= 500 ? "server_error" : "invalid_request_error",
                    code: null,
                    param: null,
                  },
                }
              : {
                  error: {
                    code: reply.status,
                    message,
                    status: reply.status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT",
                  },
                },
          ),
        );
        return;
      }
      const png = drawImage(
        Buffer.alloc(32, requests.length),
        reply.kind === "image" ? (reply.width ?? 64) : 64,
        reply.kind === "image" ? (reply.height ?? 64) : 64,
        "abstract",
      );
      res.writeHead(200, { "content-type": "application/json" });
      if (api === "openai") {
        res.end(
          JSON.stringify({
            created: 1_700_000_000,
            data: reply.kind === "empty" ? [] : [{ b64_json: png.toString("base64") }],
          }),
        );
      } else {
        res.end(
          JSON.stringify({
            predictions:
              reply.kind === "empty"
                ? []
                : [{ bytesBase64Encoded: png.toString("base64"), mimeType: "image/png" }],
          }),
        );
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (api, ...replies) => queues[api].push(...replies),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
