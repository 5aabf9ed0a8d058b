/**
 * Keys with dots, in patterns and in events.
 *
 * EventBridge compiles a pattern, and flattens an event, into field paths
 * joined with dots, so a key with dots names the same field as the nested
 * keys it spells. The user guide says so ("Event pattern syntax" >
 * "Considerations when creating event patterns",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html):
 * `{"detail": {"state.status": ["running"]}}` and
 * `{"detail": {"state": {"status": ["running"]}}}` are the same pattern, and
 * both match `{"detail": {"state.status": "running"}}` as well as
 * `{"detail": {"state": {"status": "running"}}}`. Paths still have to be the
 * same: `{"state.status": {"status": …}}` is the path state.status.status.
 *
 * The matcher (pattern.ts) walks nested objects, so both sides are brought to
 * the nested form: a pattern once, when it is parsed; an event once, before it
 * is matched against every rule, and only when it has a key with a dot
 * (`jsonShape` finds out without recursion).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Without a prototype: a key such as `__proto__` stays a field name, as JSON.parse leaves it. */
const emptyObject = () => Object.create(null) as JsonObject;

/**
 * A pattern with every dotted key (outside `$or`, which is an operator) split
 * into nested objects, merged with the nested keys beside it. A field given
 * twice keeps the later value, as EventBridge keeps only the last pattern of a
 * field (the JSON parser already does so for a key written twice).
 */
export function splitDottedKeys(pattern: JsonObject): JsonObject {
  const out = emptyObject();
  for (const [key, raw] of Object.entries(pattern)) {
    let value: Json = raw;
    if (key === '$or' && Array.isArray(raw)) value = raw.map((branch) => (isObject(branch) ? splitDottedKeys(branch) : branch));
    else if (isObject(raw)) value = splitDottedKeys(raw);
    if (key === '$or') out[key] = value;
    else placePatternValue(out, key.split('.'), value);
  }
  return out;
}

function placePatternValue(into: JsonObject, path: string[], value: Json): void {
  let node = into;
  for (const segment of path.slice(0, -1)) {
    const existing = node[segment];
    if (!isObject(existing)) node[segment] = emptyObject();
    node = node[segment] as JsonObject;
  }
  const last = path[path.length - 1]!;
  const existing = node[last];
  if (isObject(existing) && isObject(value)) {
    for (const [key, inner] of Object.entries(value)) placePatternValue(existing, [key], inner);
  } else {
    node[last] = value;
  }
}

/** How deep a JSON value nests (a scalar is 0, `{}` is 1), and whether any object in it has a key with a dot. */
export function jsonShape(value: unknown): { depth: number; dottedKeys: boolean } {
  // An explicit stack rather than recursion: the value may nest deeper than the call stack allows.
  const stack: Array<[unknown, number]> = [[value, 0]];
  let depth = 0;
  let dottedKeys = false;
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (level + 1 > depth) depth = level + 1;
    if (Array.isArray(node)) {
      for (const element of node) if (typeof element === 'object' && element !== null) stack.push([element, level + 1]);
      continue;
    }
    for (const key in node) {
      if (!dottedKeys && key.includes('.')) dottedKeys = true;
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push([child, level + 1]);
    }
  }
  return { depth, dottedKeys };
}

/**
 * A copy of an event with every dotted key expanded into nested objects. When
 * two keys name the same field (`{"a.b": 1, "a": {"b": 2}}`), the field has
 * both values, as an array would: a pattern matches either. Recursive, so
 * only for values whose depth is known to be bounded (`jsonShape`).
 */
export function expandDottedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandDottedKeys);
  if (!isObject(value)) return value;
  const out = emptyObject();
  for (const [key, raw] of Object.entries(value)) {
    addEventValue(out, key.includes('.') ? key.split('.') : [key], expandDottedKeys(raw) as Json);
  }
  return out;
}

/** Every object under `into` was made by expandDottedKeys, so changing it in place changes no caller's value. */
function addEventValue(into: JsonObject, path: string[], value: Json): void {
  let node = into;
  for (const segment of path.slice(0, -1)) {
    const existing = node[segment];
    if (existing === undefined) node[segment] = emptyObject();
    else if (!isObject(existing)) node[segment] = [...(Array.isArray(existing) ? existing : [existing]), emptyObject()];
    const next = node[segment]!;
    node = (Array.isArray(next) ? next[next.length - 1] : next) as JsonObject;
  }
  const last = path[path.length - 1]!;
  const existing = node[last];
  if (existing === undefined) {
    node[last] = value;
  } else if (isObject(existing) && isObject(value)) {
    for (const [key, inner] of Object.entries(value)) addEventValue(existing, [key], inner);
  } else {
    node[last] = [...(Array.isArray(existing) ? existing : [existing]), ...(Array.isArray(value) ? value : [value])];
  }
}
