/**
 * `riffle contract diff`: classifies the changes between two versions of a contract from the consumers' side.
 * Breaking: a removed field, a type changed other than by widening, a new required field without a default, an
 * optional field made required, enum values removed, bounds tightened. Compatible: an optional field (or a required
 * one with a default) added, widening (int → long → double, float → double, decimal precision up, date →
 * timestamp), a required field made optional, enum values added, bounds relaxed, documentation changes.
 */
import type { ContractField, DataContract } from './contract.ts';

export interface ContractChange {
  readonly model: string;
  readonly field?: string;
  readonly change: string;
  readonly breaking: boolean;
}

export interface ContractDiff {
  readonly breaking: boolean;
  readonly changes: readonly ContractChange[];
}

const RANK: Record<string, number> = { tinyint: 0, smallint: 1, int: 2, integer: 2, long: 3, bigint: 3, float: 4, double: 5, number: 5 };

/** Whether a value of type `from` always fits `to`. */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return true;
  const a = RANK[from];
  const b = RANK[to];
  if (a !== undefined && b !== undefined) return a <= b && !(from === 'long' && to === 'float');
  if (from === 'date' && /^timestamp/.test(to)) return true;
  if (/^timestamp/.test(from) && /^timestamp/.test(to)) return from === 'timestamp_ntz' ? false : to === 'timestamp' || to === from;
  const da = /^decimal\((\d+),(\d+)\)$/.exec(from);
  const db = /^decimal\((\d+),(\d+)\)$/.exec(to);
  if (da && db) return +db[1]! - +db[2]! >= +da[1]! - +da[2]! && +db[2]! >= +da[2]!;
  if (da && to === 'decimal') return true;
  if (RANK[from] !== undefined && (to === 'decimal' || to === 'double')) return from !== 'double';
  if (/^(varchar|text|string)$/.test(from) && /^(varchar|text|string)$/.test(to)) return true;
  return false;
}

export function diffContracts(before: DataContract, after: DataContract): ContractDiff {
  const changes: ContractChange[] = [];
  for (const old of before.models) {
    const now = after.models.find((m) => m.name === old.name);
    if (now === undefined) {
      changes.push({ model: old.name, change: 'model removed', breaking: true });
      continue;
    }
    const fieldsNow = new Map(now.fields.map((f) => [f.name, f]));
    for (const f of old.fields) {
      const g = fieldsNow.get(f.name);
      if (g === undefined) changes.push({ model: old.name, field: f.name, change: 'field removed', breaking: true });
      else changes.push(...fieldChanges(old.name, f, g));
    }
    const fieldsBefore = new Set(old.fields.map((f) => f.name));
    for (const g of now.fields) {
      if (fieldsBefore.has(g.name)) continue;
      const breaking = g.required && g.default === undefined;
      changes.push({ model: old.name, field: g.name, change: breaking ? 'required field added (no default)' : g.required ? 'required field added with a default' : 'optional field added', breaking });
    }
  }
  for (const m of after.models) if (!before.models.some((o) => o.name === m.name)) changes.push({ model: m.name, change: 'model added', breaking: false });
  return { breaking: changes.some((c) => c.breaking), changes };
}

function fieldChanges(model: string, f: ContractField, g: ContractField): ContractChange[] {
  const out: ContractChange[] = [];
  const push = (change: string, breaking: boolean) => out.push({ model, field: f.name, change, breaking });
  if (f.type !== g.type) push(`type ${f.type} → ${g.type}${isWidening(f.type, g.type) ? ' (widening)' : ''}`, !isWidening(f.type, g.type));
  if (!f.required && g.required) push('optional → required', g.default === undefined);
  if (f.required && !g.required) push('required → optional', false);
  if (!f.unique && g.unique) push('now unique', true);
  if (f.enum || g.enum) {
    const removed = (f.enum ?? []).filter((v) => g.enum !== undefined && !g.enum.includes(v));
    const added = (g.enum ?? []).filter((v) => !(f.enum ?? []).includes(v));
    if (f.enum === undefined && g.enum !== undefined) push('values restricted to an enum', true);
    else if (removed.length > 0) push(`enum values removed: ${removed.join(', ')}`, true);
    if (added.length > 0 && f.enum !== undefined) push(`enum values added: ${added.join(', ')}`, false);
  }
  const tighter = (a: number | undefined, b: number | undefined, lower: boolean) => (b !== undefined && (a === undefined || (lower ? b > a : b < a)));
  if (tighter(f.minimum, g.minimum, true) || tighter(f.maximum, g.maximum, false) || tighter(f.minLength, g.minLength, true) || tighter(f.maxLength, g.maxLength, false)) push('bounds tightened', true);
  else if (f.minimum !== g.minimum || f.maximum !== g.maximum || f.minLength !== g.minLength || f.maxLength !== g.maxLength) push('bounds relaxed', false);
  if (f.pattern !== g.pattern && g.pattern !== undefined) push('pattern changed', true);
  if (f.pii !== g.pii || f.classification !== g.classification) push('classification changed', false);
  return out;
}
