/**
 * What a table box holds and how big it is: shared by the layout worker (which measures) and
 * the page (which draws), so both agree on every coordinate.
 */

export interface BoxRow {
  name: string;
  type: string;
  /** 'PK', 'FK', 'UK' joined with spaces, or ''. */
  keys: string;
}

export interface BoxTable {
  id: string;
  title: string;
  /** Drawn under the title in names-only mode ("8 columns · 2 FK"). */
  summary: string;
  rows: BoxRow[];
}

export interface BoxSize {
  width: number;
  height: number;
  /** x of the type column and of the keys column, from the box's left side. */
  typeX: number;
  keysX: number;
}

export const box = {
  headerHeight: 30,
  rowHeight: 20,
  padX: 12,
  bottomPad: 6,
  minWidth: 140,
  maxTextWidth: 260,
  titleFont: '600 13px system-ui, sans-serif',
  rowFont: '12px system-ui, sans-serif',
  keyFont: '600 10px system-ui, sans-serif',
} as const;

export type Measure = (text: string, font: string) => number;

/** A width estimate when no canvas is available (about the average glyph of the UI font). */
export const roughMeasure: Measure = (text, font) => text.length * (font.startsWith('600 13') ? 7.6 : font.startsWith('600 10') ? 6.4 : 6.8);

export function boxSize(table: BoxTable, columns: boolean, measure: Measure): BoxSize {
  const clip = (w: number) => Math.min(box.maxTextWidth, w);
  const title = clip(measure(table.title, box.titleFont));
  if (!columns || !table.rows.length) {
    const summary = clip(measure(table.summary, box.rowFont));
    const width = Math.ceil(Math.max(box.minWidth, title + box.padX * 2, summary + box.padX * 2));
    return { width, height: columns ? box.headerHeight + box.bottomPad : box.headerHeight + box.rowHeight, typeX: 0, keysX: 0 };
  }
  let name = 0;
  let type = 0;
  let keys = 0;
  for (const row of table.rows) {
    name = Math.max(name, clip(measure(row.name, box.rowFont)));
    type = Math.max(type, clip(measure(row.type, box.rowFont)));
    if (row.keys) keys = Math.max(keys, measure(row.keys, box.keyFont));
  }
  const typeX = box.padX + name + 14;
  const keysX = typeX + type + 12;
  const width = Math.ceil(Math.max(box.minWidth, title + box.padX * 2, keysX + (keys ? keys + box.padX : 0)));
  return { width, height: box.headerHeight + table.rows.length * box.rowHeight + box.bottomPad, typeX: Math.round(typeX), keysX: Math.round(keysX) };
}
