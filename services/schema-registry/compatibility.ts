import { createHash } from 'node:crypto';
import avro from 'avsc';
import { RegistryError } from './errors.ts';

/** Confluent's compatibility levels. */
export const LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type Level = (typeof LEVELS)[number];
/** Confluent's default. */
export const DEFAULT_LEVEL: Level = 'BACKWARD';

export function isLevel(text: string): text is Level {
  return (LEVELS as readonly string[]).includes(text);
}

export interface ParsedSchema {
  type: avro.Type;
  /** Canonical JSON text (avsc's export, docs and defaults kept): what the registry stores and serves. */
  canonical: string;
  /** sha256 of the canonical text: the same schema written differently gets the same id. */
  fingerprint: string;
}

export function parseSchema(text: string): ParsedSchema {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(JSON.parse(text));
  } catch (err) {
    throw new RegistryError(422, 42201, `Invalid schema: ${(err as Error).message}`);
  }
  const canonical = JSON.stringify(type.schema({ exportAttrs: true }));
  return { type, canonical, fingerprint: createHash('sha256').update(canonical).digest('hex') };
}

/**
 * Whether data written with `writer` can be read with `reader`. This is
 * avsc's own schema resolution (the one readers run), so the registry can
 * never accept a version that readers then fail to resolve.
 */
export function canRead(reader: avro.Type, writer: avro.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/** Whether `candidate` may follow `previous` (oldest first) under `level`, as Confluent defines the levels. */
export function isCompatible(level: Level, candidate: avro.Type, previous: avro.Type[]): boolean {
  if (level === 'NONE' || previous.length === 0) return true;
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  return against.every((old) => (!backward || canRead(candidate, old)) && (!forward || canRead(old, candidate)));
}
