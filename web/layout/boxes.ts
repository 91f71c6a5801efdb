/**
 * What a table box holds and how big it is: shared by the layout worker (which measures) and
 * the page (which draws), so both agree on every coordinate.
 */

export interface BoxRow {
  name: string;
  type: string;
  /** 'PK', 'FK', 'UK' joined with spaces, or ''. */
  keys: string;
  /** The name and type uncut, when the box draws them cut (see fitText). */
  full?: string;
}

export interface BoxTable {
  id: string;
  title: string;
  /** Drawn under the title in names-only mode ("8 columns · 2 FK"). */
  summary: string;
  rows: BoxRow[];
  /** The title uncut, when the box draws it cut (see fitText). */
  full?: { title?: string };
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

/**
 * `text` cut to fit `max` pixels, ending in "…" when it was cut (whole code points, so a
 * surrogate pair is never split). The box is sized with every text clipped to
 * box.maxTextWidth; drawn uncut, a longer name would run over the next column or the box.
 */
export function fitText(text: string, font: string, max: number, measure: Measure): string {
  if (measure(text, font) <= max) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${chars.slice(0, mid).join('')}…`, font) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}

/** A text of a box drawn shorter than it is: the title (row -1) or a row's name or type. */
export interface ClippedText {
  table: number;
  row: number;
  field: 'title' | 'name' | 'type';
  text: string;
}

/** The texts of box `index` that do not fit the box `size` gives them, cut to fit. */
export function clippedTexts(table: BoxTable, index: number, size: BoxSize, columns: boolean, measure: Measure): ClippedText[] {
  const out: ClippedText[] = [];
  const title = fitText(table.title, box.titleFont, size.width - box.padX * 2, measure);
  if (title !== table.title) out.push({ table: index, row: -1, field: 'title', text: title });
  if (!columns) return out;
  table.rows.forEach((row, r) => {
    const name = fitText(row.name, box.rowFont, box.maxTextWidth, measure);
    if (name !== row.name) out.push({ table: index, row: r, field: 'name', text: name });
    const type = fitText(row.type, box.rowFont, box.maxTextWidth, measure);
    if (type !== row.type) out.push({ table: index, row: r, field: 'type', text: type });
  });
  return out;
}
