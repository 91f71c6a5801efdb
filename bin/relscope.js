#!/usr/bin/env node
// Entry for `npx relscope`: loads the TypeScript sources through tsx, no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { main } = await import(fileURLToPath(new URL('../server/cli.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
