/**
 * The process the durability test kills with SIGKILL (bus-durability.test.ts): it opens the bus with fsync `always`,
 * runs `publishers` concurrent publishers and one subscriber, and reports on stdout only what the bus acknowledged:
 * `P <id>=<data> ...` after a publish resolved, `T <id> ...` before an acknowledge is sent and `A <id> ...` after it
 * resolved. Never used by the product.
 *
 *   node --import tsx src/io/bus/durability-child.ts <dir> <publishers>
 */
import { openBus } from './open-bus.ts';

const [dir, publishersArg] = process.argv.slice(2);
const publishers = Number(publishersArg ?? 4);
const bus = await openBus({ dir: dir!, fsync: 'always' });
const out = (line: string) => process.stdout.write(`${line}\n`);
out('READY');

async function publisher(p: number): Promise<never> {
  for (let seq = 0; ; seq++) {
    const n = 1 + (seq % 5);
    const datas = Array.from({ length: n }, (_, i) => `p${p}-${seq}-${i}`);
    const ids = await bus.publish('events', datas.map((data) => ({ data, attributes: { publisher: String(p) } })));
    out(`P ${ids.map((id, i) => `${id}=${datas[i]}`).join(' ')}`);
  }
}

async function subscriber(): Promise<never> {
  for (;;) {
    const got = await bus.pull('work', { maxMessages: 50, wait: 50 });
    // Ack every other message; leave the rest unacked (to be redelivered after the restart).
    const ack = got.filter((m) => Number(m.id) % 2 === 0);
    if (ack.length > 0) {
      out(`T ${ack.map((m) => m.id).join(' ')}`); // trying: these may be acked even if the kill comes before the answer
      const r = await bus.acknowledge('work', ack.map((m) => m.ackId));
      const ok = new Set(r.succeeded);
      out(`A ${ack.filter((m) => ok.has(m.ackId)).map((m) => m.id).join(' ')}`);
    }
  }
}

await Promise.all([...Array.from({ length: publishers }, (_, p) => publisher(p)), subscriber()]);
