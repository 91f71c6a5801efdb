// Types for explicit-config.mjs (a plain ES module so that bin/relscope.js loads it before tsx).
export function explicitConfigPath(argv: string[], env?: NodeJS.ProcessEnv): string | null;
export function tsconfigOfExplicitConfig(argv: string[], cwd?: string, env?: NodeJS.ProcessEnv): string | undefined;
