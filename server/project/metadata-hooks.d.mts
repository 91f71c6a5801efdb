// Types for metadata-hooks.mjs (a plain ES module so that it loads in Node's hooks thread without tsx).
export function initialize(data: unknown): Promise<void>;
export function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => unknown): Promise<unknown>;
export function typescriptTranspiler(options: { modulePath: string; tsconfigPath: string; compilerOptions: Record<string, unknown> }): (source: string, path: string, format: 'module' | 'commonjs') => string;
