/**
 * The roles of the server's tokens, from least to most allowed: a viewer reads; an operator also cancels and drains
 * jobs and triggers, clears and marks DAG runs; a developer also submits jobs; an admin also manages tokens.
 */
export const ROLES = ['viewer', 'operator', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do what `needed` may. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
