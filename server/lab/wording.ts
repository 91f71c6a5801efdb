/**
 * Sentences the lab's advice and the tracer's findings (relscope/trace) share, so that an N+1
 * reads the same in `relscope compare`, the Strategies view and the Requests view.
 * No imports: the tracer's build compiles this file on its own.
 */

/** "N+1 under joined: loading posts sent 20 statements of the same shape, one per parent (s2, 4.12 ms in total); <fix>." */
export function nPlusOneMessage(context: string, where: string, count: number, detail: string, fix?: string): string {
  return `N+1 ${context}: ${where} sent ${count.toLocaleString('en-US')} statements of the same shape, one per parent (${detail})${fix ? `; ${fix}` : ''}.`;
}

/** Milliseconds as the lab prints them: 3 significant figures or so. */
export function fmtMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}
