/**
 * What the lab needs to know about how a project defines and configures its entities, read from
 * MikroORM's metadata: which table maps to which entity (to read what a statement carried), how
 * each populated relation is loaded today (its own `strategy`, else the config's `loadStrategy`),
 * and how the project writes entities (so that advice snippets paste as they are).
 */
import { MetadataStorage, type EntityMetadata, type MikroORM } from '@mikro-orm/core';
import { readFileSync } from 'node:fs';
import { forEachProjectSource } from '../project/sources.ts';
import type { PathNode } from './request.ts';
import type { ConfiguredStrategy, EntityStyle, TableTypes } from './report.ts';

/** Table name (and schema.table) -> entity class name; pivot tables MikroORM generated are left out. */
export function tableTypes(orm: MikroORM): TableTypes {
  const map: TableTypes = new Map();
  map.pivots = new Set();
  map.roots = new Map();
  for (const meta of orm.getMetadata().getAll().values()) {
    if (!meta.tableName || meta.embeddable || meta.virtual) continue;
    if (meta.pivotTable && meta.relations.every((r) => /_(owner|inverse)$/.test(r.name))) continue;
    if (meta.pivotTable) {
      map.pivots.add(meta.tableName);
      if (meta.schema) map.pivots.add(`${meta.schema}.${meta.tableName}`);
    }
    // Single-table inheritance: the table belongs to the root entity.
    const className = meta.root?.className ?? meta.className;
    if (className !== meta.className) map.roots.set(meta.className, className);
    if (!map.has(meta.tableName)) map.set(meta.tableName, className);
    if (meta.schema && !map.has(`${meta.schema}.${meta.tableName}`)) map.set(`${meta.schema}.${meta.tableName}`, className);
  }
  return map;
}

/** How each populate path is loaded by the project's configuration today. */
export function configuredStrategies(orm: MikroORM, meta: EntityMetadata, tree: PathNode[]): Map<string, ConfiguredStrategy> {
  const fallback = String(orm.config.get('loadStrategy') ?? 'balanced');
  const out = new Map<string, ConfiguredStrategy>();
  const walk = (owner: EntityMetadata, nodes: PathNode[]) => {
    for (const node of nodes) {
      const prop = owner.properties[node.prop];
      const own = prop?.strategy ? String(prop.strategy) : fallback;
      const effective: ConfiguredStrategy = own === 'joined' ? 'joined' : own === 'select-in' ? 'select-in' : node.toMany ? 'select-in' : 'joined';
      out.set(node.path, effective);
      if (prop?.targetMeta) walk(prop.targetMeta, node.children);
    }
  };
  walk(meta, tree);
  return out;
}

function sourceStyle(path: string | undefined): EntityStyle | null {
  if (!path) return null;
  try {
    const text = readFileSync(path.replace(/^file:\/\//, ''), 'utf8');
    if (/\bdefineEntity\s*\(/.test(text)) return 'defineEntity';
    if (/\bnew\s+EntitySchema\b/.test(text)) return 'EntitySchema';
    if (/@Entity\s*\(/.test(text)) return 'decorators';
  } catch {
    // not readable: fall back to the metadata alone
  }
  return null;
}

/**
 * Counts defineEntity( against `new EntitySchema` in the project's sources (its baseDir, at most
 * 400 files, 5 levels, node_modules and dot folders skipped): both produce an EntitySchema, and
 * nothing in the metadata tells them apart.
 */
function projectSourceStyle(baseDir: string, className: string): EntityStyle | null {
  let define = 0;
  let schema = 0;
  forEachProjectSource(baseDir, (text) => {
    if (!text.includes(className)) return;
    define += (text.match(/\bdefineEntity\s*\(/g) ?? []).length;
    schema += (text.match(/\bnew\s+EntitySchema\b/g) ?? []).length;
  });
  if (define === 0 && schema === 0) return null;
  return schema > define ? 'EntitySchema' : 'defineEntity';
}

/**
 * How the project writes the root entity: decorated classes carry the decorators' path symbol;
 * otherwise the entity came from an EntitySchema, written with defineEntity() or `new EntitySchema`,
 * which the source (its file when MikroORM knows it, else the project's baseDir) tells apart;
 * defineEntity when it cannot be told. `baseDir` is left out for relscope's own demo model.
 */
export function entityStyle(meta: EntityMetadata, baseDir?: string): EntityStyle {
  const cls = meta.class as unknown as object | undefined;
  if (cls && Object.hasOwn(cls, MetadataStorage.PATH_SYMBOL)) return 'decorators';
  const path = (cls as Record<symbol, unknown> | undefined)?.[MetadataStorage.PATH_SYMBOL];
  return sourceStyle(typeof path === 'string' ? path : meta.path) ?? (baseDir ? projectSourceStyle(baseDir, meta.className) : null) ?? 'defineEntity';
}

/** The directory to read a project's entity sources from; none for relscope's own demo model. */
export function projectBaseDir(orm: MikroORM, meta: EntityMetadata, demo: readonly unknown[]): string | undefined {
  const own = demo.some((e) => e === meta.class || (e as { meta?: { class?: unknown } } | null)?.meta?.class === meta.class);
  if (own) return undefined;
  const dir = orm.config.get('baseDir');
  return typeof dir === 'string' ? dir : undefined;
}
