/**
 * Delivering an alert notification: a webhook gets an HTTP POST of the notification as JSON; an e-mail channel
 * sends a plain-text message over SMTP (nodemailer, imported when the first e-mail goes out). Each delivery is
 * retried with exponential backoff (`retries`, default 3; `backoff`, default 1s, doubling). Secrets (an SMTP
 * password, webhook header values) are read from the environment variables the channel names, at send time, and
 * never appear in an outcome or an error message.
 */
import { parseDuration } from '../model/index.ts';
import type { AlertChannel, EmailChannel, Severity, WebhookChannel } from './alert-rules.ts';

/** What a channel receives: an alert that starts firing, or that resolved. */
export interface AlertNotification {
  readonly status: 'firing' | 'resolved';
  readonly rule: string;
  readonly kind: string;
  readonly severity: Severity;
  /** What the alert is about: a job id, a pipeline, a DAG, a quality suite. */
  readonly subject: string;
  readonly message: string;
  readonly value: number | null;
  readonly threshold: number | null;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly source: string;
}

export interface DeliveryOutcome {
  readonly channel: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error: string | null;
}

const ms = (d: string | number | undefined, fallback: number) => (d === undefined ? fallback : typeof d === 'number' ? d : parseDuration(d.replace(/\s+/g, '')));

/** Sends to one channel with retries; never throws (the outcome says what happened). */
export async function deliver(name: string, channel: AlertChannel, n: AlertNotification, env: NodeJS.ProcessEnv = process.env, sleep = (t: number) => new Promise((r) => setTimeout(r, t))): Promise<DeliveryOutcome> {
  const retries = channel.retries ?? 3;
  let wait = ms(channel.backoff, 1000);
  let error = '';
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      if (channel.type === 'webhook') await postWebhook(channel, n, env);
      else await sendEmail(channel, n, env);
      return { channel: name, ok: true, attempts: attempt, error: null };
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (attempt <= retries) {
        await sleep(wait);
        wait *= 2;
      }
    }
  }
  return { channel: name, ok: false, attempts: retries + 1, error };
}

async function postWebhook(c: WebhookChannel, n: AlertNotification, env: NodeJS.ProcessEnv): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'riffle-server-alerts' };
  for (const [header, variable] of Object.entries(c.headersEnv ?? {})) {
    const value = env[variable];
    if (value === undefined) throw new Error(`the environment variable ${variable} (header ${header}) is not set`);
    headers[header] = value;
  }
  const res = await fetch(c.url, { method: 'POST', headers, body: JSON.stringify(n), signal: AbortSignal.timeout(ms(c.timeout, 10_000)) });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
}

async function sendEmail(c: EmailChannel, n: AlertNotification, env: NodeJS.ProcessEnv): Promise<void> {
  const nodemailer = (await import('nodemailer')).default;
  let pass: string | undefined;
  if (c.smtp.passwordEnv !== undefined) {
    pass = env[c.smtp.passwordEnv];
    if (pass === undefined) throw new Error(`the environment variable ${c.smtp.passwordEnv} (the SMTP password) is not set`);
  }
  const transport = nodemailer.createTransport({
    host: c.smtp.host, port: c.smtp.port, secure: c.smtp.secure ?? false,
    ...(c.smtp.user !== undefined ? { auth: { user: c.smtp.user, pass: pass ?? '' } } : {}),
    connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ from: c.from, to: c.to.join(', '), subject: subjectOf(n), text: textOf(n) });
  } catch (e) {
    // nodemailer's messages name the server and the SMTP reply, not the credentials.
    throw new Error(`SMTP ${c.smtp.host}:${c.smtp.port}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    transport.close();
  }
}

export function subjectOf(n: AlertNotification): string {
  return `[riffle ${n.status === 'firing' ? n.severity.toUpperCase() : 'RESOLVED'}] ${n.rule}: ${n.subject}`;
}

export function textOf(n: AlertNotification): string {
  return [
    n.message, '',
    `rule: ${n.rule} (${n.kind})`, `severity: ${n.severity}`, `status: ${n.status}`, `subject: ${n.subject}`,
    ...(n.value !== null ? [`value: ${n.value}`] : []), ...(n.threshold !== null ? [`threshold: ${n.threshold}`] : []),
    `since: ${n.startsAt}`, ...(n.endsAt !== null ? [`resolved: ${n.endsAt}`] : []), `source: ${n.source}`,
  ].join('\n');
}
