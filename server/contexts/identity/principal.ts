// Who is acting: a signed-in person or an API token acting for its user, with the user's
// portfolio memberships. Loaded per request from the database, never trusted from the client.
import type { Db, Tx } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import type { Role } from "./roles";

export type Principal = {
  userId: string;
  email: string;
  name: string;
  via: { kind: "session" } | { kind: "api_token"; tokenId: string };
  memberships: Array<{ portfolioId: string; role: Role }>;
};

export function actorOf(principal: Principal): EventActor {
  return principal.via.kind === "api_token"
    ? { type: "api_token", id: principal.via.tokenId }
    : { type: "user", id: principal.userId };
}

export async function loadPrincipal(
  db: Db | Tx,
  userId: string,
  via: Principal["via"] = { kind: "session" },
): Promise<Principal | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, memberships: { select: { portfolioId: true, role: true } } },
  });
  if (!user) return null;
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    via,
    memberships: user.memberships.map((m) => ({ portfolioId: m.portfolioId, role: m.role as Role })),
  };
}
