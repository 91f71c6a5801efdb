/**
 * `--format json`: the schema model itself (see common/schema-model.ts for every field),
 * sorted and pretty-printed so the same schema always gives the same bytes.
 */
import { schemaModelVersion, sortModel, type SchemaModel } from '../../common/schema-model.ts';

export function renderJson(model: SchemaModel): string {
  return `${JSON.stringify(sortModel(model), null, 2)}\n`;
}

/** True when the value has the shape of a relscope JSON export. */
export function isSchemaModel(value: unknown): value is SchemaModel {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<SchemaModel>;
  return typeof v.version === 'number' && (v.source === 'orm' || v.source === 'db') && Array.isArray(v.tables) && Array.isArray(v.relations) && Array.isArray(v.enums);
}
