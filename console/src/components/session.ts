/** The signed-in token's record (its role decides which buttons a page shows), shared through React context. */
import { createContext, useContext } from 'react';
import type { Role, TokenRecord } from '../api/types.ts';

const ORDER: Role[] = ['viewer', 'operator', 'developer', 'admin'];

export const SessionContext = createContext<TokenRecord | null>(null);

export function useSession(): TokenRecord | null {
  return useContext(SessionContext);
}

/** Whether a role may do what `needed` may (roles are ordered viewer < operator < developer < admin). */
export function canAct(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && ORDER.indexOf(role) >= ORDER.indexOf(needed);
}
