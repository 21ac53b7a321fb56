/**
 * Alert rules: a YAML or JSON file (`riffle server --alerts F`, default DIR/alerts.yaml) with the channels alerts
 * are delivered to and the rules that raise them. Validated with the config reader: an unknown key, a wrong type or
 * a channel that does not exist is an error naming the file, the line and the key. Secrets are never in the file:
 * an SMTP password and webhook header values may be given as the name of an environment variable (`passwordEnv`,
 * `headersEnv`), read when a message is sent.
 * @example
 *   channels:
 *     ops: { type: webhook, url: 'https://hooks.example.com/riffle' }
 *     oncall: { type: email, smtp: { host: smtp.example.com, port: 587, user: riffle, passwordEnv: SMTP_PASSWORD }, from: riffle@example.com, to: [oncall@example.com] }
 *   rules:
 *     - { name: job-failed, kind: job_failed, severity: critical, channels: [ops, oncall] }
 *     - { name: slow-etl, kind: runtime_above, pipeline: etl.ts, threshold: 30m, severity: warning, channels: [ops] }
 */
import { z } from 'zod';
import { ConfigCheck, readConfigFile } from '../config/index.ts';
import { parseDuration } from '../model/index.ts';

export const ALERT_KINDS = ['job_failed', 'failure_rate', 'quality_score_below', 'runtime_above', 'freshness_sla', 'dlq_rate', 'watermark_lag'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const duration = z.union([z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, "a duration such as '90s', '5m', '2h', '1d'"), z.number().int().positive()]);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable');

const webhookSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL'),
  /** Header name → environment variable holding its value (e.g. Authorization: HOOK_TOKEN). */
  headersEnv: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), envName).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  backoff: duration.optional(),
  timeout: duration.optional(),
});
const emailSchema = z.strictObject({
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().optional(),
    user: z.string().min(1).optional(),
    passwordEnv: envName.optional(),
  }),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  retries: z.number().int().min(0).max(10).optional(),
  backoff: duration.optional(),
});
const channelSchema = z.discriminatedUnion('type', [webhookSchema, emailSchema]);

const common = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a name of letters, digits, . _ -'),
  severity: z.enum(SEVERITIES),
  channels: z.array(z.string()).optional(),
  description: z.string().optional(),
};
/** Which jobs a job rule looks at: a pipeline module (exact) or all. */
const pipeline = z.string().min(1).optional();
const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...common, kind: z.literal('job_failed'), pipeline, window: duration.optional() }),
  z.strictObject({ ...common, kind: z.literal('failure_rate'), pipeline, threshold: z.number().min(0).max(100), window: duration, minJobs: z.number().int().min(1).optional() }),
  z.strictObject({ ...common, kind: z.literal('quality_score_below'), suite: z.string().min(1).optional(), threshold: z.number().min(0).max(100) }),
  z.strictObject({ ...common, kind: z.literal('runtime_above'), pipeline, threshold: duration }),
  z.strictObject({ ...common, kind: z.literal('freshness_sla'), dag: z.string().min(1), within: duration }),
  z.strictObject({ ...common, kind: z.literal('dlq_rate'), pipeline, threshold: z.number().min(0).max(100), minElements: z.number().int().min(1).optional() }),
  z.strictObject({ ...common, kind: z.literal('watermark_lag'), pipeline, threshold: duration }),
]);

export const alertFileSchema = z.strictObject({
  channels: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a channel name'), channelSchema).optional(),
  /** How often rules are evaluated (default 15s). */
  interval: duration.optional(),
  rules: z.array(ruleSchema),
});

type Raw = z.output<typeof alertFileSchema>;
export type AlertChannel = NonNullable<Raw['channels']>[string];
export type WebhookChannel = Extract<AlertChannel, { type: 'webhook' }>;
export type EmailChannel = Extract<AlertChannel, { type: 'email' }>;
type RawRule = Raw['rules'][number];
/** A rule with its durations in milliseconds. */
export type AlertRule = { [K in RawRule['kind']]: Omit<Extract<RawRule, { kind: K }>, 'window' | 'threshold' | 'within'> & DurationsOf<Extract<RawRule, { kind: K }>> }[RawRule['kind']];
type DurationsOf<R> = { [F in 'window' | 'threshold' | 'within' as F extends keyof R ? F : never]: R[F & keyof R] extends infer V ? (V extends string | number ? number : V extends undefined ? undefined : number) : never };

export interface AlertConfig {
  readonly file: string;
  readonly intervalMs: number;
  readonly channels: Readonly<Record<string, AlertChannel>>;
  readonly rules: readonly AlertRule[];
}

const ms = (d: string | number) => (typeof d === 'number' ? d : parseDuration(d.replace(/\s+/g, '')));

/** Reads and checks an alerts file; throws a ConfigFileError naming the file, line and key of each mistake. */
export function loadAlertRules(file: string): AlertConfig {
  const check = new ConfigCheck(readConfigFile(file));
  const raw = check.validate(alertFileSchema);
  check.finish({ hint: 'the alert rules are described in src/server/README.md (Alerts)' });
  const channels = raw!.channels ?? {};
  const names = new Set<string>();
  raw!.rules.forEach((r, i) => {
    if (names.has(r.name)) check.report(['rules', i, 'name'], `a second rule named '${r.name}' (rule names are unique)`);
    names.add(r.name);
    (r.channels ?? []).forEach((c, j) => {
      if (channels[c] === undefined) check.report(['rules', i, 'channels', j], `no channel '${c}'; expected one of: ${Object.keys(channels).join(', ') || 'none defined (add a channels: section)'}`);
    });
  });
  check.finish({ hint: 'the alert rules are described in src/server/README.md (Alerts)' });
  const rules = raw!.rules.map((r) => {
    const out: Record<string, unknown> = { ...r };
    if ('window' in r && r.window !== undefined) out.window = ms(r.window);
    if ('within' in r) out.within = ms(r.within);
    if (r.kind === 'runtime_above' || r.kind === 'watermark_lag') out.threshold = ms(r.threshold);
    return out as AlertRule;
  });
  return { file, intervalMs: raw!.interval !== undefined ? ms(raw!.interval) : 15_000, channels, rules };
}
