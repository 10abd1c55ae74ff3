// A scripted local HTTP server for third-party model APIs (STYLE 20: mock only third-party HTTP,
// with a fake that speaks the real API so the real SDK runs). Each test enqueues what the next
// requests get; every request is recorded for assertions.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakeToolCall = { id?: string; name: string; args: Record<string, unknown>; rawArgs?: string };

export type FakeReply =
  /** A streamed answer: text in chunks, optional tool calls, the usage to report. */
  | {
      kind: "stream";
      text?: string;
      toolCalls?: FakeToolCall[];
      usage?: { input: number; output: number };
      chunkDelayMs?: number;
      chunks?: number;
    }
  /** An HTTP error with the provider's error body. */
  | { kind: "error"; status: number; message?: string }
  /** Accept the request and never answer. */
  | { kind: "hang" }
  /** Answer 200 and then break the stream off mid-way. */
  | { kind: "broken"; text: string };

export type RecordedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
};

export type FakeServer = {
  url: string;
  requests: RecordedRequest[];
  enqueue(...replies: FakeReply[]): void;
  close(): Promise<void>;
};

export type Speaker = (
  reply: Extract<FakeReply, { kind: "stream" | "broken" }>,
  res: http.ServerResponse,
  request: RecordedRequest,
) => Promise<void>;
export type ErrorBody = (status: number, message: string) => Record<string, unknown>;

export function splitText(text: string, chunks: number): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, chunks)));
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

export async function startFakeServer(options: {
  route: string;
  speak: Speaker;
  errorBody: ErrorBody;
}): Promise<FakeServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        body = {};
      }
      const request: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      };
      requests.push(request);
      if (req.method !== "POST" || !(req.url ?? "").endsWith(options.route)) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify(options.errorBody(404, `no route ${req.url}`)));
        return;
      }
      const reply = queue.shift() ?? {
        kind: "stream",
        text: "default answer",
        usage: { input: 10, output: 5 },
      };
      if (reply.kind === "hang") return;
      if (reply.kind === "error") {
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(JSON.stringify(options.errorBody(reply.status, reply.message ?? `status ${reply.status}`)));
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      void options.speak(reply, res, request).catch(() => res.destroy());
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
    enqueue: (...replies) => queue.push(...replies),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
