/**
 * The page's own ER layout (web/layout/layered.ts), run in Node: boxes never overlap, every
 * line ends on its two boxes, cycles and self references lay out, and the same input gives
 * the same coordinates.
 */
import { describe, expect, it } from 'vitest';
import { layeredLayout, type LayoutEdge, type LayoutNode } from '../web/layout/layered.ts';
import { boxSize, roughMeasure } from '../web/layout/boxes.ts';
import { prng } from '../bench/prng.ts';

function generated(count: number): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const random = prng(7);
  const nodes: LayoutNode[] = [];
  const edges: LayoutEdge[] = [];
  for (let i = 1; i <= count; i++) {
    nodes.push({ id: `t${i}`, width: 140 + Math.floor(random() * 120), height: 50 + Math.floor(random() * 150) });
    const fks = i === 1 ? 0 : 1 + Math.floor(random() * 3);
    for (let k = 0; k < fks; k++) edges.push({ id: `e${i}.${k}`, from: `t${i}`, to: `t${Math.max(1, i - 1 - Math.floor(random() * Math.min(i - 1, 40)))}` });
  }
  return { nodes, edges };
}

function overlaps(nodes: LayoutNode[], positions: Record<string, { x: number; y: number }>): string[] {
  const boxes = nodes.map((n) => ({ id: n.id, ...positions[n.id]!, w: n.width, h: n.height })).sort((a, b) => a.x - b.x);
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j]!.x < boxes[i]!.x + boxes[i]!.w; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.y < b.y + b.h && b.y < a.y + a.h) out.push(`${a.id}/${b.id}`);
    }
  }
  return out;
}

describe('the layered ER layout', () => {
  it('places 1,000 tables with 1,800 references without overlaps, inside its bounds, in a landscape picture', () => {
    const { nodes, edges } = generated(1000);
    const layout = layeredLayout(nodes, edges);
    expect(overlaps(nodes, layout.positions)).toEqual([]);
    for (const n of nodes) {
      const p = layout.positions[n.id]!;
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(p.y + n.height).toBeLessThanOrEqual(layout.height);
    }
    // Long chains of references are folded into bands instead of one very tall column.
    expect(layout.width / layout.height).toBeGreaterThan(0.8);
    expect(layout.edges).toHaveLength(edges.length);
  });

  it('ends every line on the boxes it joins', () => {
    const { nodes, edges } = generated(120);
    const layout = layeredLayout(nodes, edges);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const on = (id: string, x: number, y: number) => {
      const n = byId.get(id)!;
      const p = layout.positions[id]!;
      return x >= p.x - 1 && x <= p.x + n.width + 1 && y >= p.y - 1 && y <= p.y + n.height + 1;
    };
    layout.edges.forEach((e, i) => {
      expect(on(edges[i]!.from, e.x1, e.y1), `${e.id} start`).toBe(true);
      expect(on(edges[i]!.to, e.x2, e.y2), `${e.id} end`).toBe(true);
    });
  });

  it('puts a referenced table above the tables that reference it', () => {
    const nodes = ['users', 'posts', 'comments'].map((id) => ({ id, width: 150, height: 80 }));
    const edges = [{ id: 'a', from: 'posts', to: 'users' }, { id: 'b', from: 'comments', to: 'posts' }, { id: 'c', from: 'comments', to: 'users' }];
    const { positions } = layeredLayout(nodes, edges);
    expect(positions.users!.y).toBeLessThan(positions.posts!.y);
    expect(positions.posts!.y).toBeLessThan(positions.comments!.y);
  });

  it('lays out cycles, self references and unknown ends, the same way every time', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => ({ id, width: 150, height: 60 }));
    const edges = [
      { id: '1', from: 'a', to: 'b' }, { id: '2', from: 'b', to: 'c' }, { id: '3', from: 'c', to: 'a' },
      { id: '4', from: 'd', to: 'd' }, { id: '5', from: 'd', to: 'nowhere' },
    ];
    const first = layeredLayout(nodes, edges);
    expect(overlaps(nodes, first.positions)).toEqual([]);
    expect(first.edges.map((e) => e.id)).toEqual(['1', '2', '3', '4']);
    expect(first.edges.find((e) => e.id === '4')!.shape).toBe('loop');
    expect(layeredLayout(nodes, edges)).toEqual(first);
  });

  it('sizes a box to its widest row and counts every column', () => {
    const table = { id: 'public.users', title: 'users', summary: '3 columns', rows: [{ name: 'id', type: 'int', keys: 'PK' }, { name: 'email_address', type: 'varchar(255)', keys: 'UK' }, { name: 'x', type: 'text', keys: '' }] };
    const size = boxSize(table, true, roughMeasure);
    expect(size.height).toBe(30 + 3 * 20 + 6);
    expect(size.keysX).toBeGreaterThan(size.typeX);
    expect(size.width).toBeGreaterThanOrEqual(size.keysX + roughMeasure('PK', '600 10px system-ui, sans-serif'));
    expect(boxSize(table, false, roughMeasure).height).toBe(50);
  });
});
