/**
 * The project's own source files, read as text for what MikroORM's metadata does not say (how
 * entities are written, what the code names them). Bounded so a large monorepo costs little: at
 * most 400 files, 5 folder levels below the base directory; node_modules, dot folders, a top-level
 * dist and type declarations skipped. Unreadable files and folders are passed over.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const maxFiles = 400;
const maxDepth = 5;
const sourceFile = /\.(c|m)?(t|j)s$/;

/** Calls `visit` with the text of each of the project's source files under `baseDir`, within the bounds above. */
export function forEachProjectSource(baseDir: string, visit: (text: string, path: string) => void): void {
  let files = 0;
  const walk = (dir: string, depth: number) => {
    if (depth > maxDepth || files >= maxFiles) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (files >= maxFiles || name === 'node_modules' || name.startsWith('.') || (name === 'dist' && depth === 0)) continue;
      const full = join(dir, name);
      let isDir = false;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        continue;
      }
      if (isDir) {
        walk(full, depth + 1);
        continue;
      }
      if (!sourceFile.test(name) || name.endsWith('.d.ts')) continue;
      files++;
      let text: string;
      try {
        text = readFileSync(full, 'utf8');
      } catch {
        continue;
      }
      visit(text, full);
    }
  };
  walk(baseDir, 0);
}
