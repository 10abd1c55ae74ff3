// Which connections a web request uses (createTrpcContext in ./context picks the Db by it).
/**
 * The lane of a request: the kill-switch's own ("control") when it calls nothing but
 * pause or resume, the shared ones otherwise. `pathname` is the request's: a tRPC call
 * (/api/trpc/control.pause, or a batch of procedures joined by commas) or the HTTP API
 * (/api/v1/control/pause).
 */
export type RequestLane = "control" | "shared";

const controlProcedures = new Set(["control.pause", "control.resume"]);
const controlRoutes = new Set(["/api/v1/control/pause", "/api/v1/control/resume"]);

export function requestLane(pathname: string): RequestLane {
  const path = pathname.replace(/\/+$/, "");
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
