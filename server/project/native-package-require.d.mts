// Types for native-package-require.mjs (a plain ES module so that bin/relscope.js loads it before tsx).
export function rememberNodeRequire(): void;
export function keepPackagesNative(): void;
export function isEsModuleFile(filename: string): boolean;
