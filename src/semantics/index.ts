// The public surface of semantics/: pure event-time semantics over the state and timer ports.
export * from './state.ts';
export * from './timers.ts';
export * from './in-memory-state.ts';
export * from './state-backend-suite.ts';
export * from './triggers/trigger-context.ts';
export { triggerStateMachine, validateTrigger, isOnceTrigger } from './triggers/trigger-state-machine.ts';
export * from './reduce-fn.ts';
export * from './pane-fold.ts';
export { finalWindows, finalWindowLists } from './final-windows.ts';
export { nextPane, soleOnTimePane } from './pane-tracker.ts';
export { WatermarkHolds } from './watermark-holds.ts';
export { ActiveWindowSet, ACTIVE_WINDOWS_NAMESPACE } from './active-window-set.ts';
export * from './window-reducer.ts';
export * from './trigger-tester.ts';
