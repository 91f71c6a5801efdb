/** The layout worker's answer as typed arrays (see PackedLayout), and back. */
import type { LayoutResult } from './layered.ts';
import type { BoxSize, BoxTable } from './boxes.ts';

/**
 * The result travels as transferred typed arrays in the request's table and edge order, not as
 * thousands of small objects: the main thread then receives it without a long deserialisation.
 */
export interface PackedLayout {
  /** Per table: width, height, typeX, keysX, x, y. */
  tables: Float64Array;
  /** Per edge: x1, y1, x2, y2, shape (0 'v', 1 'h', 2 'loop'); NaN x1 when the edge was dropped. */
  edges: Float64Array;
  width: number;
  height: number;
  rows: number;
}

const shapes = ['v', 'h', 'loop'] as const;

export function pack(tables: BoxTable[], edgeIds: string[], sizes: Record<string, BoxSize>, layout: LayoutResult): PackedLayout {
  const t = new Float64Array(tables.length * 6);
  tables.forEach((table, i) => {
    const size = sizes[table.id]!;
    const p = layout.positions[table.id]!;
    t.set([size.width, size.height, size.typeX, size.keysX, p.x, p.y], i * 6);
  });
  const byId = new Map(layout.edges.map((e) => [e.id, e]));
  const e = new Float64Array(edgeIds.length * 5).fill(Number.NaN);
  edgeIds.forEach((id, i) => {
    const edge = byId.get(id);
    if (edge) e.set([edge.x1, edge.y1, edge.x2, edge.y2, shapes.indexOf(edge.shape)], i * 5);
  });
  return { tables: t, edges: e, width: layout.width, height: layout.height, rows: layout.rows };
}

export function unpack(tables: BoxTable[], edgeIds: string[], packed: PackedLayout): { sizes: Record<string, BoxSize>; layout: LayoutResult } {
  const sizes: Record<string, BoxSize> = {};
  const positions: LayoutResult['positions'] = {};
  const t = packed.tables;
  tables.forEach((table, i) => {
    const o = i * 6;
    sizes[table.id] = { width: t[o]!, height: t[o + 1]!, typeX: t[o + 2]!, keysX: t[o + 3]! };
    positions[table.id] = { x: t[o + 4]!, y: t[o + 5]! };
  });
  const edges: LayoutResult['edges'] = [];
  const e = packed.edges;
  edgeIds.forEach((id, i) => {
    const o = i * 5;
    if (Number.isNaN(e[o]!)) return;
    edges.push({ id, x1: e[o]!, y1: e[o + 1]!, x2: e[o + 2]!, y2: e[o + 3]!, shape: shapes[e[o + 4]!]! });
  });
  return { sizes, layout: { positions, edges, width: packed.width, height: packed.height, rows: packed.rows } };
}
