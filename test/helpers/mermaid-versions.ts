/**
 * The Mermaid releases relscope's diagrams must parse in, side by side under npm aliases
 * (package.json devDependencies): 10.7.0 (GitLab's renderer), 11.4.1, the newest 11.x and the
 * newest 12.x (relscope's own `mermaid`). Parsing needs no DOM in any of them.
 */
export interface ErDbLike {
  getEntities(): Map<string, { alias: string; attributes: { type: string; name: string; keys: string[]; comment: string }[] }> | Record<string, { alias: string; attributes: { type: string; name: string; keys: string[]; comment: string }[] }>;
  getRelationships(): unknown[];
}
export interface MermaidLike {
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ db: ErDbLike }> };
}

export const mermaidVersions = [
  { name: 'Mermaid 10.7.0', module: 'mermaid-10.7', syntax: 10 },
  { name: 'Mermaid 11.4.1', module: 'mermaid-11.4', syntax: 11 },
  { name: 'Mermaid 11.17.2', module: 'mermaid-11.17', syntax: 12 },
  { name: 'Mermaid 12.3.0', module: 'mermaid', syntax: 12 },
] as const;

const loaded = new Map<string, Promise<MermaidLike>>();

export function loadMermaid(module: string): Promise<MermaidLike> {
  let m = loaded.get(module);
  if (!m) {
    m = import(module).then((x: { default: MermaidLike }) => x.default);
    loaded.set(module, m);
  }
  return m;
}

/** Parses `text` in one release; the parser's first error line, or null when it parses. */
export async function parseError(module: string, text: string): Promise<string | null> {
  const mermaid = await loadMermaid(module);
  try {
    await mermaid.parse(text);
    return null;
  } catch (error) {
    return String((error as Error).message ?? error).split('\n').slice(0, 4).join(' ');
  }
}

interface RawAttribute { type?: string; name?: string; keys?: string[]; comment?: string; attributeType?: string; attributeName?: string; attributeKeyTypeList?: string[]; attributeComment?: string }

/** Entities as a Map with one attribute shape in every release (10.x: a plain object, attributeType/attributeName/...). */
export async function entitiesOf(module: string, text: string): Promise<Map<string, { alias: string; attributes: { type: string; name: string; keys: string[]; comment: string }[] }>> {
  const mermaid = await loadMermaid(module);
  const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
  const raw = db.getEntities() as unknown as Map<string, { alias: string; attributes: RawAttribute[] }> | Record<string, { alias: string; attributes: RawAttribute[] }>;
  const entries = raw instanceof Map ? [...raw] : Object.entries(raw);
  return new Map(entries.map(([id, e]) => [id, {
    alias: e.alias,
    attributes: e.attributes.map((a) => ({
      type: a.type ?? a.attributeType ?? '',
      name: a.name ?? a.attributeName ?? '',
      keys: a.keys ?? a.attributeKeyTypeList ?? [],
      comment: a.comment ?? a.attributeComment ?? '',
    })),
  }]));
}

/** Every ```mermaid block of a Markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
}
