/**
 * relscope/trace reads a statement's stack as V8's call sites, unformatted, and formats only the
 * frame that becomes the call site: that position must be the one the process's own stack
 * formatter (source maps included) gives. Load mechanisms (frame names) are covered through
 * MikroORM in trace.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { callSiteOf, parseStack, readStack, type CapturedStack } from '../trace/stack.ts';

describe('trace stacks read as call sites', () => {
  it('reads a captured stack without formatting it, and maps the call site like an error stack would', () => {
    const holder: CapturedStack = {};
    const formatted: CapturedStack = {}; // the same line, formatted by the process's own formatter
    Error.captureStackTrace(holder); Error.captureStackTrace(formatted); // prettier-ignore
    const stack = readStack(holder);
    expect(stack.sites?.length).toBe(stack.frames.length);
    const expected = parseStack(String(formatted.stack))[0]!;
    const site = callSiteOf(stack, 0);
    expect(site.file).toBe(expected.file);
    expect(site.line).toBe(expected.line);
    // A stack someone already formatted is parsed as it is.
    expect(readStack(formatted).frames[0]).toMatchObject({ file: expected.file, line: expected.line });
  });
});
