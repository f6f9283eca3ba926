/**
 * A small JSON Schema checker (the subset zod-to-openapi emits: $ref, type, properties, required,
 * additionalProperties, items, enum, const, anyOf/oneOf/allOf, nullable, minimum/maximum) used to
 * prove that what the server returns is what /api/openapi.json documents.
 */
type Schema = Record<string, unknown>;

export function checkSchema(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = (root.components as { schemas: Record<string, Schema> }).schemas[name];
    if (!target) return [`${path}: unresolved ${schema.$ref}`];
    return checkSchema(value, target, root, path);
  }
  if (schema.nullable === true && value === null) return [];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options) {
      const results = options.map((s) => checkSchema(value, s, root, path));
      if (results.some((r) => r.length === 0)) return [];
      return [`${path}: matches none of ${key} (${results.map((r) => r[0]).join(' | ')})`];
    }
  }
  if (Array.isArray(schema.allOf)) return (schema.allOf as Schema[]).flatMap((s) => checkSchema(value, s, root, path));
  if ('const' in schema && value !== schema.const) return [`${path}: expected ${JSON.stringify(schema.const)}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    return [`${path}: ${JSON.stringify(value)} not in enum`];
  const types =
    schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.length > 0 && !types.some((t) => isType(value, t))) {
    return [`${path}: expected ${types.join('|')}, got ${value === null ? 'null' : typeof value}`];
  }
  const errors: string[] = [];
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above maximum`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => {
      errors.push(...checkSchema(v, schema.items as Schema, root, `${path}[${i}]`));
    });
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}.${r}: missing`);
    for (const [k, v] of Object.entries(obj)) {
      const p = props[k];
      if (p) errors.push(...checkSchema(v, p, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not documented`);
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...checkSchema(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
      }
    }
  }
  return errors;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    default:
      return typeof v === t;
  }
}
