export interface RegistrySchema {
  schemas: { id: bigint; fingerprint: string; schema: string };
  subject_versions: { subject: string; version: bigint; schema_id: bigint; created_at: string };
  /** Compatibility level per subject; the global level under GLOBAL_SUBJECT. */
  compatibility: { subject: string; level: string };
}

/** Where the global compatibility level is kept (Confluent keeps it under the same name). */
export const GLOBAL_SUBJECT = '__GLOBAL';
