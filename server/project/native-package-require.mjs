// Keeps require() of ES-module packages (node_modules) on Node's own require(esm), under tsx.
//
// tsx's CommonJS hook compiles every ES-module file that CommonJS code require()s into CommonJS
// again, packages included. For a CommonJS project (NestJS: no "type": "module") that means its
// entities' require('@mikro-orm/core') gets a second copy of MikroORM, with classes of its own,
// beside the ES module copy that relscope (and the project's own import()s) use: MikroORM's and
// relscope's instanceof checks then fail on the entities' ArrayType, Collection, Reference...
// (a string[] ArrayType column wrapped twice, every load throwing "Invalid array text - must
// end with }"). Node >= 22.12 loads such packages itself (require(esm)), as the ES module
// instance that import() returns, so files in node_modules go to Node's own handler; the
// project's own files still go to tsx. Plain Node behaves the same way (one copy).
import Module from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

const nodeHandlerKey = Symbol.for('relscope.node-js-extension');

/** Call before tsx's CommonJS hook is registered: remembers Node's own .js handler. */
export function rememberNodeRequire() {
  const g = /** @type {Record<symbol, unknown>} */ (globalThis);
  g[nodeHandlerKey] ??= Module._extensions['.js'];
}

/**
 * Call after tsx's CommonJS hook is registered: ES-module files in node_modules go back to
 * Node's own handler. Does nothing on a Node without require(esm) (tsx's copy is then the only
 * way to require them) or when rememberNodeRequire() was not called first.
 */
export function keepPackagesNative() {
  const g = /** @type {Record<symbol, unknown>} */ (globalThis);
  const nodeHandler = /** @type {Function | undefined} */ (g[nodeHandlerKey]);
  if (!nodeHandler || !process.features.require_module) return;
  for (const ext of ['.js', '.mjs']) {
    const tsxHandler = Module._extensions[ext];
    if (!tsxHandler || tsxHandler === nodeHandler) continue;
    Module._extensions[ext] = function (module, filename) {
      if (filename.split(sep).includes('node_modules') && isEsModuleFile(filename)) return nodeHandler.call(this, module, filename);
      return tsxHandler.call(this, module, filename);
    };
  }
}

const typeByDir = new Map();

/** True for .mjs, and for .js whose nearest package.json says "type": "module" (Node's rule). */
export function isEsModuleFile(filename) {
  if (filename.endsWith('.mjs')) return true;
  if (!filename.endsWith('.js')) return false;
  return packageType(dirname(filename)) === 'module';
}

function packageType(dir) {
  const cached = typeByDir.get(dir);
  if (cached) return cached;
  let type = 'commonjs';
  const pkg = join(dir, 'package.json');
  if (existsSync(pkg)) {
    try {
      type = JSON.parse(readFileSync(pkg, 'utf8')).type === 'module' ? 'module' : 'commonjs';
    } catch {
      // an unreadable package.json counts as commonjs, as in Node
    }
  } else if (dirname(dir) !== dir) {
    type = packageType(dirname(dir));
  }
  typeByDir.set(dir, type);
  return type;
}
