/**
 * The bus, when the server is given one (`--bus URL` of a `riffle bus serve`, its token from $RIFFLE_BUS_TOKEN): its
 * topics and subscriptions with their statistics (retained messages, backlog, rates) for the API and
 * `riffle_bus_backlog` in /metrics. The client connects on first use and again after a failure.
 */
import type { bus as busIo } from '../io/index.ts';
import { ApiError } from './api-error.ts';

type Bus = busIo.Bus;

export class BusService {
  private bus: Promise<Bus> | undefined;

  constructor(private readonly url: string | undefined, private readonly token: string | undefined) {}

  get configured(): boolean {
    return this.url !== undefined;
  }

  private async client(): Promise<Bus> {
    if (this.url === undefined) throw new ApiError(404, 'NO_BUS', 'this server shows no bus', 'start it with --bus http://host:port of a riffle bus serve');
    this.bus ??= import('../io/index.ts').then((m) => m.bus.connectBus(this.url!, this.token !== undefined ? { token: this.token } : {}));
    try {
      return await this.bus;
    } catch (e) {
      this.bus = undefined;
      throw new ApiError(502, 'BUS_UNREACHABLE', `the bus at ${this.url} did not answer: ${e instanceof Error ? e.message : String(e)}`, 'check that riffle bus serve runs there (and $RIFFLE_BUS_TOKEN)');
    }
  }

  private async call<T>(f: (bus: Bus) => Promise<T>): Promise<T> {
    const bus = await this.client();
    try {
      return await f(bus);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      this.bus = undefined;
      throw new ApiError(502, 'BUS_ERROR', `the bus at ${this.url} answered with an error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async topics() {
    return this.call(async (bus) => {
      const [topics, stats] = await Promise.all([bus.listTopics(), bus.stats()]);
      const byTopic = new Map(stats.topics.map((t) => [t.topic, t]));
      return topics.map((t) => {
        const s = byTopic.get(t.name);
        return { name: t.name, messages: s?.messages ?? 0, bytes: s?.bytes ?? 0, segments: s?.segments ?? 0, publishRate: s?.publishRate ?? 0, oldestPublishTime: s?.oldestPublishTime !== undefined ? new Date(s.oldestPublishTime).toISOString() : null };
      });
    });
  }

  async subscriptions(topic?: string) {
    return this.call(async (bus) => {
      const stats = await bus.stats(topic !== undefined ? { topic } : {});
      return stats.subscriptions.map((s) => ({
        name: s.subscription, topic: s.topic, backlogMessages: s.backlogMessages, backlogBytes: s.backlogBytes, oldestUnackedAgeMs: s.oldestUnackedAge ?? null,
        outstandingMessages: s.outstandingMessages, deliveryRate: s.deliveryRate, ackRate: s.ackRate, nackRate: s.nackRate, expiredDeadlines: s.expiredDeadlines, deadLettered: s.deadLettered,
      }));
    });
  }

  /** Backlog per subscription for /metrics; nothing without a bus or when it does not answer. */
  async backlog(): Promise<Array<{ topic: string; subscription: string; backlog: number }>> {
    if (this.url === undefined) return [];
    try {
      return (await this.subscriptions()).map((s) => ({ topic: s.topic, subscription: s.name, backlog: s.backlogMessages }));
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    const bus = this.bus;
    this.bus = undefined;
    if (bus !== undefined) await (await bus.catch(() => undefined))?.close?.();
  }
}
