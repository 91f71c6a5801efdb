import { UserError } from '../errors.ts';

/** MikroORM 7 declares Node >= 22.17 (require() of ES modules, node:fs globSync); users' configs fail below it. */
export const requiredNode = { major: 22, minor: 17 } as const;

/** Whether `version` (process.versions.node, e.g. "20.20.2") is at least the required Node. */
export function nodeIsSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  return major > requiredNode.major || (major === requiredNode.major && minor >= requiredNode.minor);
}

/**
 * One line before a user's project is loaded on a Node that cannot load it (on Node 20 a
 * CommonJS TypeScript config fails later with "Cannot read properties of undefined (reading
 * 'exports')"). relscope's own demo still runs there.
 */
export function assertNodeForProject(version: string = process.versions.node): void {
  if (nodeIsSupported(version)) return;
  const need = `${requiredNode.major}.${requiredNode.minor}`;
  throw new UserError(
    `Node.js ${version} found; loading a MikroORM 7 project needs Node.js >= ${need}: switch to Node ${need} or newer (e.g. \`nvm install 22\`) and run relscope again (--demo runs on this Node).`,
    { exitCode: 1 },
  );
}
