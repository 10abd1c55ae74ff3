// A webhook receiver as a customer would run one (STYLE 20: third-party HTTP is faked with a real
// local server). Each path is an endpoint; a test scripts what the next requests to a path get
// (a status, or no answer at all) and reads what arrived: raw body, headers, time, and whether the
// signature verified with the secret the test registered for that path.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { verifyWebhookSignature } from "@/server/contexts/notifications/api";

export type ReceiverReply = { status: number; body?: string } | { hang: true };

export type ReceivedWebhook = {
  path: string;
  at: number;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  json: Record<string, unknown> | null;
  /** Verified with the secret set for this path (null when none was set). */
  signature: "ok" | "malformed" | "stale" | "mismatch" | null;
  /** What the receiver answered (null: it did not answer). */
  answered: number | null;
};

export type WebhookReceiver = {
  url(path: string): string;
  received: ReceivedWebhook[];
  /** What the next requests to `path` get, in order; afterwards the default (200). */
  script(path: string, ...replies: ReceiverReply[]): void;
  /** Every request to `path` gets this from now on (until changed). */
  always(path: string, reply: ReceiverReply): void;
  secret(path: string, secret: string): void;
  on(path: string): ReceivedWebhook[];
  close(): Promise<void>;
};

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const scripts = new Map<string, ReceiverReply[]>();
  const fixed = new Map<string, ReceiverReply>();
  const secrets = new Map<string, string>();
  const received: ReceivedWebhook[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!;
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const secret = secrets.get(path);
      const header = req.headers["venture-signature"];
      const check = secret
        ? verifyWebhookSignature({
            secret,
            header: Array.isArray(header) ? header[0] : header,
            body: rawBody,
          })
        : null;
      const entry: ReceivedWebhook = {
        path,
        at: Date.now(),
        headers: req.headers,
        rawBody,
        json,
        signature: check ? (check.ok ? "ok" : check.reason) : null,
        answered: null,
      };
      received.push(entry);
      const reply = scripts.get(path)?.shift() ?? fixed.get(path) ?? { status: 200, body: "ok" };
      if ("hang" in reply) return;
      entry.answered = reply.status;
      res.writeHead(reply.status, { "content-type": "text/plain" }).end(reply.body ?? "");
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    script(path, ...replies) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...replies]);
    },
    always(path, reply) {
      fixed.set(path, reply);
    },
    secret(path, secret) {
      secrets.set(path, secret);
    },
    on: (path) => received.filter((r) => r.path === path),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
