// Which connections a web request uses (createTrpcContext in ./context picks the Db by it), so
// that one kind of work cannot take every connection from another:
// - "control": pause and resume alone (tRPC, where the client sends them unbatched, or
//   POST /api/v1/control/pause|resume), on the kill-switch's own connections: the button works
//   when everything else is saturated (ADR 0007);
// - "read": queries (GET: tRPC queries and subscriptions, the HTTP API's reads, server-rendered
//   pages), on connections of their own: dashboards stay up while a burst of commands queues;
// - "shared": commands (everything else).
export type RequestLane = "control" | "read" | "shared";

const controlProcedures = new Set(["control.pause", "control.resume"]);
const controlRoutes = new Set(["/api/v1/control/pause", "/api/v1/control/resume"]);

export function requestLane(method: string, pathname: string): RequestLane {
  const path = pathname.replace(/\/+$/, "");
  if (method === "GET" || method === "HEAD") return "read";
  if (controlRoutes.has(path)) return "control";
  const trpc = /^\/api\/trpc\/([^/]+)$/.exec(path);
  if (!trpc) return "shared";
  let procedures: string[];
  try {
    procedures = decodeURIComponent(trpc[1]!).split(",");
  } catch {
    return "shared"; // malformed %-escapes: tRPC answers it with an error, on the shared lane
  }
  return procedures.every((name) => controlProcedures.has(name)) ? "control" : "shared";
}
