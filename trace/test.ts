/** relscope/test: `expectNoNPlusOne(orm, fn)` and the tracer for custom assertions. */
export { expectNoNPlusOne, formatFindings, NPlusOneError, type ExpectOptions } from './expect.ts';
export { attach, Tracer, type AttachOptions } from './index.ts';
export type { TraceFinding, TraceScope, TraceStatement, CallSite } from '../common/trace-types.ts';
