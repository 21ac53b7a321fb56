export { assertThat, CollectionAssert, CollectionAssertionError, type Observed } from './assert-that.ts';
export { TestStream, testStream } from '../transforms/index.ts';
export { VirtualClock } from '../runner/index.ts';
