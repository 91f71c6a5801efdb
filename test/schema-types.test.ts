/**
 * Issue 11, item 3: types compare the way PostgreSQL stores them, so lint and drift report
 * no mismatch that `mikro-orm schema:update --dump` would not (ArrayType's text[][] is text[]).
 */
import { describe, expect, it } from 'vitest';
import { canonicalType, sameType } from '../server/schema/types.ts';
import { drift } from '../server/schema/drift.ts';
import { schemaModelVersion, type SchemaModel, type Table } from '../common/schema-model.ts';

describe('type spellings as PostgreSQL stores them', () => {
  it('array dimensions and sizes are not recorded: text[][], text[3], text ARRAY and _text are text[]', () => {
    for (const spelled of ['text[][]', 'text[3]', 'text [ ] [ ]', 'text ARRAY', 'text array[4]', '_text', 'TEXT[][][]']) {
      expect(canonicalType(spelled), spelled).toBe('text[]');
    }
    expect(canonicalType('varchar(20)[][]')).toBe('character varying(20)[]');
    expect(canonicalType('int4[2][2]')).toBe('integer[]');
    expect(canonicalType('_int8')).toBe('bigint[]');
  });

  it('aliases: int4 is integer, varchar is character varying, float(p) is real or double precision', () => {
    expect(sameType('int4', 'integer')).toBe(true);
    expect(sameType('varchar(255)', 'character varying(255)')).toBe(true);
    expect(sameType('decimal(8, 2)', 'numeric(8,2)')).toBe(true);
    expect(sameType('float(24)', 'real')).toBe(true);
    expect(sameType('float(25)', 'double precision')).toBe(true);
    expect(sameType('timestamptz(6)', 'timestamp with time zone')).toBe(true);
    expect(sameType('timestamp(6)', 'timestamp without time zone')).toBe(true);
  });

  it('still tells different types apart', () => {
    expect(sameType('varchar(255)', 'character varying(200)')).toBe(false);
    expect(sameType('text[]', 'text')).toBe(false);
    expect(sameType('timestamptz(3)', 'timestamp with time zone')).toBe(false);
    expect(sameType('timestamptz', 'timestamp')).toBe(false);
    expect(sameType('int8', 'integer')).toBe(false);
    expect(sameType('float(24)', 'double precision')).toBe(false);
    expect(canonicalType('myarray')).toBe('myarray');
  });
});

describe('drift compares types the way PostgreSQL does', () => {
  const table = (type: string): Table => ({
    id: 'public.article', schema: 'public', name: 'article', kind: 'table', comment: null,
    columns: [{ name: 'tag_list', type, nullable: true, default: null, comment: null, generated: null, property: 'tagList', enum: null }],
    primaryKey: null, uniques: [], indexes: [], checks: [], foreignKeys: [], entity: 'Article', isPivot: false,
  });
  const model = (source: 'orm' | 'db', type: string): SchemaModel => ({ version: schemaModelVersion, source, origin: source, tables: [table(type)], enums: [], relations: [] });

  it('an ArrayType property (text[][] in MikroORM’s metadata) over a text[] column is no mismatch', () => {
    expect(drift(model('orm', 'text[][]'), model('db', 'text[]')).filter((f) => f.code === 'type-mismatch')).toEqual([]);
    expect(drift(model('orm', 'timestamp(6) with time zone'), model('db', 'timestamp with time zone')).filter((f) => f.code === 'type-mismatch')).toEqual([]);
  });

  it('a native enum in the config\'s own schema is no mismatch: the catalogs print it qualified, MikroORM bare', () => {
    // `schema: 'shop'` in the config and `@Enum({ items, nativeEnumName: 'customer_tier' })`:
    // mikro-orm schema:create makes shop.customer_tier; format_type prints it qualified (shop is
    // not on the search_path) while MikroORM's metadata names the type customer_tier.
    const withEnum = (source: 'orm' | 'db', type: string, enumId: string | null): SchemaModel => {
      const m = model(source, type);
      m.tables[0]!.columns[0]!.enum = enumId;
      return m;
    };
    const mismatches = (o: SchemaModel, d: SchemaModel) => drift(o, d).filter((f) => f.code === 'type-mismatch');
    expect(mismatches(withEnum('orm', 'customer_tier', 'shop.customer_tier'), withEnum('db', 'shop.customer_tier', 'shop.customer_tier'))).toEqual([]);
    expect(mismatches(withEnum('orm', 'customer_tier[]', 'shop.customer_tier'), withEnum('db', 'shop.customer_tier[]', 'shop.customer_tier'))).toEqual([]);
    // another enum type, or an array against a scalar, is still a mismatch
    expect(mismatches(withEnum('orm', 'customer_tier', 'shop.customer_tier'), withEnum('db', 'billing.customer_tier', 'billing.customer_tier'))).toHaveLength(1);
    expect(mismatches(withEnum('orm', 'customer_tier', 'shop.customer_tier'), withEnum('db', 'shop.customer_tier[]', 'shop.customer_tier'))).toHaveLength(1);
  });

  it('a real difference is still reported', () => {
    expect(drift(model('orm', 'text[]'), model('db', 'character varying(255)[]')).map((f) => f.code)).toContain('type-mismatch');
  });
});
