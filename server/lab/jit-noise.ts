/**
 * MikroORM prints the whole generated hydrator (80+ lines of JavaScript) to stderr with
 * console.error when a compiled function throws a TypeError/ReferenceError ("JIT runtime error:
 * ..."), e.g. an entity with forceConstructor whose constructor cannot be called, and then throws
 * the error anyway. The lab reports that error as the strategy's failure, in one line; the code
 * dump is noise for a user. While a comparison runs, exactly those messages are held back (their
 * first line is kept for the report); every other console.error passes through untouched.
 */
let depth = 0;
let original: typeof console.error | null = null;
const held: string[] = [];

function filtered(...args: unknown[]): void {
  const first = args[0];
  if (typeof first === 'string' && first.startsWith('JIT runtime error:')) {
    held.push(first.split('\n')[0]!);
    return;
  }
  original!.apply(console, args);
}

/** Runs `work` with MikroORM's JIT code dumps held back; returns them (first lines) with the result. */
export async function withoutJitDumps<T>(work: () => Promise<T>): Promise<{ value: T; dumps: string[] }> {
  if (depth++ === 0) {
    original = console.error;
    console.error = filtered;
  }
  const start = held.length;
  try {
    const value = await work();
    return { value, dumps: held.slice(start) };
  } finally {
    if (--depth === 0) {
      console.error = original!;
      original = null;
      held.length = 0;
    }
  }
}
