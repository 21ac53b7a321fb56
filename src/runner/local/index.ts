export { LocalRunner, type LocalRunOptions, type Progress } from './engine.ts';
export { realClock, VirtualClock, type Clock } from './clock.ts';
export { plan, describePlan, type Plan, type Stage } from './planner.ts';
