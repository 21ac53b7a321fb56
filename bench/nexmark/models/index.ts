import type { QueryModel } from './common.ts';
import { model0 } from './q0.ts';
import { model1 } from './q1.ts';
import { model2 } from './q2.ts';
import { model3 } from './q3.ts';
import { model4 } from './q4.ts';
import { model5 } from './q5.ts';
import { model6 } from './q6.ts';
import { model7 } from './q7.ts';
import { model8 } from './q8.ts';
import { model9 } from './q9.ts';
import { model10 } from './q10.ts';
import { model11 } from './q11.ts';
import { model12 } from './q12.ts';

export type { QueryModel, TimestampedEvent } from './common.ts';
export { winningBidsModel, type WinningBid } from './winning-bids.ts';

/** The reference model of each query, by query number. */
export const models: readonly QueryModel[] = [model0, model1, model2, model3, model4, model5, model6, model7, model8, model9, model10, model11, model12];
