import { UserError } from '../errors.ts';
import { defaultMermaidSyntax, mermaidSyntaxes, type MermaidSyntax } from '../schema/types.ts';

/** `--mermaid 10|11|12`: the oldest Mermaid that must parse the text (default 10, GitLab's renderer). */
export function parseMermaidSyntax(raw: string | undefined, label = '--mermaid'): MermaidSyntax {
  if (raw === undefined) return defaultMermaidSyntax;
  const major = Number(String(raw).trim().split('.')[0]);
  if ((mermaidSyntaxes as readonly number[]).includes(major)) return major as MermaidSyntax;
  throw new UserError(`${label} must be 10, 11 or 12 (the oldest Mermaid that must draw the diagram), got "${raw}".`);
}

export const mermaidHelp = `  --mermaid 10|11|12    the oldest Mermaid that must parse the text (default 10: GitLab's
                        10.7 and every later one; 12 keeps column names with spaces and
                        dotted type names as they are)`;
