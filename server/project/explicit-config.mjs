// The tsconfig.json that applies to a config named on the command line (--config PATH) or by
// $MIKRO_ORM_CLI_CONFIG, for tsx. A plain ES module, so that bin/relscope.js can use it before tsx
// is registered.
//
// tsx reads ./tsconfig.json of the working directory (its `paths` and `baseUrl` resolve the
// project's imports). Run from elsewhere, a monorepo's root say, with --config
// apps/api/src/mikro-orm.config.ts, that is not the project's tsconfig, and an entity importing
// 'src/common/base.entity' or '@app/common' fails with "Cannot find module". The tsconfig nearest
// above the config is the one relscope's loader already reads for decorator metadata
// (server/project/loader.ts), so tsx is given that one too.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The path given with --config PATH / --config=PATH, else $MIKRO_ORM_CLI_CONFIG, else null. */
export function explicitConfigPath(argv, env = process.env) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--config' && argv[i + 1]) return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return env.MIKRO_ORM_CLI_CONFIG || null;
}

/** The tsconfig.json nearest above the explicitly named config, or undefined (then tsx reads the working directory's). */
export function tsconfigOfExplicitConfig(argv, cwd = process.cwd(), env = process.env) {
  const config = explicitConfigPath(argv, env);
  if (!config) return undefined;
  let dir = dirname(resolve(cwd, config));
  for (;;) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
