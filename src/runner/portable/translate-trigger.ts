/**
 * Riffle's triggers (plain values, model/trigger.ts) as Beam's Trigger protos, and back (for tests, and for the
 * harness reading a windowing strategy). Every Riffle trigger has a Beam counterpart:
 *
 * | Riffle | Beam |
 * |---|---|
 * | default | Default |
 * | afterWatermark({ early, late }) | AfterEndOfWindow(early_firings, late_firings) |
 * | afterProcessingTime(delay, { alignTo, alignOffset }) | AfterProcessingTime([Delay(delay), AlignTo(period, offset)]) — delay first, then rounded up, as Riffle's semantics do |
 * | afterSynchronizedProcessingTime | AfterSynchronizedProcessingTime |
 * | afterCount(n) | ElementCount(n) |
 * | repeatedly(t) | Repeat(t) |
 * | afterEach / afterFirst / afterAll | AfterEach / AfterAny / AfterAll |
 * | orFinally(main, until) | OrFinally(main, finally) |
 * | never | Never |
 * @example
 *   triggerToProto(triggers.afterWatermark({ late: triggers.afterCount(1) }))
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Trigger } from '../../model/index.ts';
import { TriggerSchema, type Trigger as TriggerProto, type TimestampTransform } from './gen/pipeline/v1/beam_runner_api_pb.ts';

type TriggerInit = MessageInitShape<typeof TriggerSchema>;

export function triggerToProto(t: Trigger): TriggerProto {
  return create(TriggerSchema, triggerInit(t));
}

function triggerInit(t: Trigger): TriggerInit {
  return { trigger: triggerCase(t) };
}

function triggerCase(t: Trigger): TriggerInit['trigger'] {
  switch (t.kind) {
    case 'default':
      return { case: 'default', value: {} };
    case 'afterWatermark':
      return {
        case: 'afterEndOfWindow',
        value: { ...(t.early ? { earlyFirings: triggerInit(t.early) } : {}), ...(t.late ? { lateFirings: triggerInit(t.late) } : {}) },
      };
    case 'afterProcessingTime': {
      const transforms = [{ timestampTransform: { case: 'delay' as const, value: { delayMillis: BigInt(t.delay) } } }];
      const aligned = t.alignTo ? [{ timestampTransform: { case: 'alignTo' as const, value: { period: BigInt(t.alignTo.period), offset: BigInt(t.alignTo.offset) } } }] : [];
      return { case: 'afterProcessingTime', value: { timestampTransforms: [...transforms, ...aligned] } };
    }
    case 'afterSynchronizedProcessingTime':
      return { case: 'afterSynchronizedProcessingTime', value: {} };
    case 'afterCount':
      return { case: 'elementCount', value: { elementCount: t.count } };
    case 'repeatedly':
      return { case: 'repeat', value: { subtrigger: triggerInit(t.trigger) } };
    case 'afterEach':
      return { case: 'afterEach', value: { subtriggers: t.triggers.map(triggerInit) } };
    case 'afterFirst':
      return { case: 'afterAny', value: { subtriggers: t.triggers.map(triggerInit) } };
    case 'afterAll':
      return { case: 'afterAll', value: { subtriggers: t.triggers.map(triggerInit) } };
    case 'orFinally':
      return { case: 'orFinally', value: { main: triggerInit(t.main), finally: triggerInit(t.until) } };
    case 'never':
      return { case: 'never', value: {} };
  }
}

/**
 * The Riffle trigger a Beam Trigger proto describes. Beam's triggers that Riffle has no value for (Always, a
 * processing-time trigger whose transforms are not [Delay] or [Delay, AlignTo]) are a RangeError naming them.
 */
export function triggerFromProto(p: TriggerProto): Trigger {
  const t = p.trigger;
  switch (t.case) {
    case 'default':
      return { kind: 'default' };
    case 'afterEndOfWindow':
      return {
        kind: 'afterWatermark',
        ...(t.value.earlyFirings ? { early: triggerFromProto(t.value.earlyFirings) } : {}),
        ...(t.value.lateFirings ? { late: triggerFromProto(t.value.lateFirings) } : {}),
      };
    case 'afterProcessingTime':
      return processingTime(t.value.timestampTransforms);
    case 'afterSynchronizedProcessingTime':
      return { kind: 'afterSynchronizedProcessingTime' };
    case 'elementCount':
      return { kind: 'afterCount', count: t.value.elementCount };
    case 'repeat':
      return { kind: 'repeatedly', trigger: triggerFromProto(required(t.value.subtrigger, 'Repeat.subtrigger')) };
    case 'afterEach':
      return { kind: 'afterEach', triggers: t.value.subtriggers.map(triggerFromProto) };
    case 'afterAny':
      return { kind: 'afterFirst', triggers: t.value.subtriggers.map(triggerFromProto) };
    case 'afterAll':
      return { kind: 'afterAll', triggers: t.value.subtriggers.map(triggerFromProto) };
    case 'orFinally':
      return { kind: 'orFinally', main: triggerFromProto(required(t.value.main, 'OrFinally.main')), until: triggerFromProto(required(t.value.finally, 'OrFinally.finally')) };
    case 'never':
      return { kind: 'never' };
    case 'always':
      throw new RangeError("Beam's Always trigger has no Riffle counterpart");
    case undefined:
      throw new RangeError('a Trigger proto with no trigger set');
  }
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new RangeError(`${what} is missing`);
  return v;
}

function processingTime(transforms: readonly TimestampTransform[]): Trigger {
  const cases = transforms.map((x) => x.timestampTransform);
  let i = 0;
  let delay = 0;
  const first = cases[0];
  if (first?.case === 'delay') {
    delay = Number(first.value.delayMillis);
    i++;
  }
  const align = cases[i];
  if (align?.case === 'alignTo') i++;
  if (i !== cases.length) {
    throw new RangeError(`AfterProcessingTime with transforms [${cases.map((c) => c.case).join(', ')}]: Riffle reads [delay?, alignTo?] in that order`);
  }
  if (align?.case === 'alignTo') return { kind: 'afterProcessingTime', delay, alignTo: { period: Number(align.value.period), offset: Number(align.value.offset) } };
  return { kind: 'afterProcessingTime', delay };
}
