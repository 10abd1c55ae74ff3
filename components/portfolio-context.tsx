"use client";
// The portfolio the signed-in person is working in, chosen on the server and read by client pages.
import { createContext, type ReactNode, useContext } from "react";
import type { Role } from "@/server/shared/events/catalog";

export type CurrentPortfolio = { id: string; name: string; role: Role };

const PortfolioContext = createContext<CurrentPortfolio | null>(null);

export function PortfolioProvider({
  value,
  children,
}: {
  value: CurrentPortfolio | null;
  children: ReactNode;
}) {
  return <PortfolioContext.Provider value={value}>{children}</PortfolioContext.Provider>;
}

export function useCurrentPortfolio(): CurrentPortfolio {
  const value = useContext(PortfolioContext);
  if (!value) throw new Error("useCurrentPortfolio outside a portfolio");
  return value;
}
