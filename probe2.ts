import { hostileModel } from './test/mermaid-hostile.ts';
import { renderErDiagram } from './server/render/mermaid.ts';
const model = hostileModel();
for (const v of ['mermaid-10.7','mermaid-11.4','mermaid-11.17','mermaid']) {
  const m = (await import(v)).default;
  const fails: string[] = [];
  for (const t of model.tables) {
    const { text } = renderErDiagram(model, [t.id], { attributes: true, collapsePivots: false });
    try { await m.parse(text); } catch (e) { fails.push(text.split('\n').slice(1,3).join(' | ') + ' :: ' + String((e as Error).message).split('\n').slice(0,1).join(' ')); }
  }
  console.log(v, fails.length, 'of', model.tables.length);
  console.log(fails.slice(0, 8).join('\n'));
}
