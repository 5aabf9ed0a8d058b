/**
 * What a target receives: the event itself, a constant `Input`, the part of
 * the event an `InputPath` selects, or an `InputTransformer`'s template filled
 * from the event (EventBridge user guide, "Input transformation").
 */

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface TargetInputSpec {
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

export interface TransformContext {
  ruleArn: string;
  ruleName: string;
  /** When the broker received the event, ISO 8601. */
  ingestionTime: string;
}

/** Variables every template may use; InputPathsMap may not redefine them. */
export const PREDEFINED_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
] as const;

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

/**
 * Parses the JSONPath subset EventBridge supports: `$`, dot notation (names
 * with letters, digits, `-`, `_`, `/`), `['quoted names']`, array indices and
 * `*` wildcards. Returns undefined for anything else.
 */
export function parseJsonPath(path: string): Segment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const segments: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      const match = /^(\*|[^.[\]]+)/.exec(path.slice(i + 1));
      if (!match) return undefined;
      segments.push(match[1] === '*' ? { kind: 'wildcard' } : { kind: 'key', key: match[1]! });
      i += 1 + match[1]!.length;
    } else if (path[i] === '[') {
      const rest = path.slice(i);
      const match = /^\[(?:(\d+)|\*|'([^']*)'|"([^"]*)")\]/.exec(rest);
      if (!match) return undefined;
      if (match[1] !== undefined) segments.push({ kind: 'index', index: Number(match[1]) });
      else if (match[2] !== undefined || match[3] !== undefined) segments.push({ kind: 'key', key: (match[2] ?? match[3])! });
      else segments.push({ kind: 'wildcard' });
      i += match[0].length;
    } else {
      return undefined;
    }
  }
  return segments;
}

/** The value at `path` in `document`; with a wildcard, the list of every value it reaches. */
export function evaluateJsonPath(path: string, document: unknown): { found: boolean; value?: unknown } {
  const segments = parseJsonPath(path);
  if (!segments) return { found: false };
  const hasWildcard = segments.some((s) => s.kind === 'wildcard');
  let current: unknown[] = [document];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const node of current) {
      if (segment.kind === 'wildcard') {
        if (Array.isArray(node)) next.push(...node);
        else if (node && typeof node === 'object') next.push(...Object.values(node));
      } else if (segment.kind === 'index') {
        if (Array.isArray(node) && segment.index < node.length) next.push(node[segment.index]);
      } else if (node && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, segment.key)) {
        next.push((node as Record<string, unknown>)[segment.key]);
      }
    }
    current = next;
  }
  if (hasWildcard) return { found: true, value: current };
  return current.length > 0 ? { found: true, value: current[0] } : { found: false };
}

/**
 * Checks a target's input settings as PutTargets does; returns the problem, if any.
 * (Only one of Input, InputPath and InputTransformer is checked by the caller.)
 */
export function inputProblem(spec: TargetInputSpec): string | undefined {
  if (spec.Input !== undefined) {
    if (typeof spec.Input !== 'string' || spec.Input.length > 8192) return 'Input must be a string of at most 8192 characters';
    try {
      JSON.parse(spec.Input);
    } catch {
      return 'Input must be valid JSON text';
    }
  }
  if (spec.InputPath !== undefined) {
    if (typeof spec.InputPath !== 'string' || spec.InputPath.length > 256 || !parseJsonPath(spec.InputPath)) {
      return `InputPath ${JSON.stringify(spec.InputPath)} is not a valid JSON path`;
    }
  }
  const transformer = spec.InputTransformer;
  if (transformer !== undefined) {
    if (!transformer || typeof transformer !== 'object') return 'InputTransformer must be an object';
    const template = transformer.InputTemplate;
    if (typeof template !== 'string' || template.length < 1 || template.length > 8192) {
      return 'InputTransformer.InputTemplate must be a string of 1 to 8192 characters';
    }
    const paths = transformer.InputPathsMap ?? {};
    if (typeof paths !== 'object' || Array.isArray(paths)) return 'InputTransformer.InputPathsMap must be an object';
    const entries = Object.entries(paths);
    if (entries.length > 100) return 'InputTransformer.InputPathsMap may define at most 100 variables';
    for (const [key, path] of entries) {
      if ((PREDEFINED_VARIABLES as readonly string[]).includes(key)) {
        return `InputTransformer.InputPathsMap cannot define the reserved variable ${key}`;
      }
      if (!/^[A-Za-z0-9_-]{1,256}$/.test(key)) return `InputTransformer.InputPathsMap key ${JSON.stringify(key)} is not valid`;
      if (typeof path !== 'string' || path.length > 256 || !parseJsonPath(path)) {
        return `InputTransformer.InputPathsMap value for ${key} is not a valid JSON path`;
      }
    }
  }
  return undefined;
}

/** The message body a target receives for this event (the event envelope as JSON unless its input settings say otherwise). */
export function renderTargetInput(spec: TargetInputSpec, event: Record<string, unknown>, context: TransformContext): string {
  if (spec.Input !== undefined) return spec.Input;
  if (spec.InputPath !== undefined) {
    const { found, value } = evaluateJsonPath(spec.InputPath, event);
    return JSON.stringify(found ? value : null);
  }
  if (spec.InputTransformer) return renderTemplate(spec.InputTransformer, event, context);
  return JSON.stringify(event);
}

type Mode = 'json' | 'in-string' | 'text';

/**
 * Fills an InputTemplate. The quoting follows the guide's examples:
 * - a template that is JSON (an object, an array or a quoted string) gets each
 *   placeholder outside a string as JSON, so a string value arrives quoted:
 *   `{"instance": <instance>}` gives `{"instance": "i-0123456789"}`;
 * - a placeholder inside a JSON string is inserted as text, unquoted:
 *   `"instance <instance> is in <state>"` gives `"instance i-0123456789 is in RUNNING"`;
 * - any other template is plain text and every value is inserted as text.
 * A variable whose path is not in the event is not created: it becomes `null`
 * where JSON is expected and nothing inside text. A placeholder that names no
 * variable is left as it is. JSON output is minified.
 *
 * One deliberate difference: AWS does not escape a value inserted inside a JSON
 * string, which can produce invalid JSON (its guide shows the result); PayMesh
 * escapes quotes and backslashes there so the body stays valid JSON.
 */
function renderTemplate(transformer: InputTransformer, event: Record<string, unknown>, context: TransformContext): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    const { found, value } = evaluateJsonPath(path, event);
    values.set(name, found ? value : undefined);
  }
  const { detail: _detail, ...withoutDetail } = event;
  values.set('aws.events.rule-arn', context.ruleArn);
  values.set('aws.events.rule-name', context.ruleName);
  values.set('aws.events.event.ingestion-time', context.ingestionTime);
  values.set('aws.events.event', withoutDetail);
  values.set('aws.events.event.json', event);

  const template = transformer.InputTemplate;
  const first = template.trimStart()[0];
  const structured = first === '{' || first === '[' || first === '"';
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (structured && inString && ch === '\\') {
      out += template.slice(i, i + 2);
      i++;
      continue;
    }
    if (structured && ch === '"') {
      inString = !inString;
      out += ch;
      continue;
    }
    if (ch === '<') {
      const close = template.indexOf('>', i + 1);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (values.has(name)) {
        out += renderValue(values.get(name), structured ? (inString ? 'in-string' : 'json') : 'text');
        i = close;
        continue;
      }
    }
    out += ch;
  }
  if (first === '{' || first === '[') {
    try {
      return JSON.stringify(JSON.parse(out));
    } catch {
      return out;
    }
  }
  return out;
}

function renderValue(value: unknown, mode: Mode): string {
  if (mode === 'json') return value === undefined ? 'null' : JSON.stringify(value);
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return mode === 'in-string' ? JSON.stringify(text).slice(1, -1) : text;
}
