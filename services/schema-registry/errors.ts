/**
 * An error in Confluent Schema Registry's shape: an HTTP status and an
 * `error_code` (40401 subject not found, 40402 version not found, 40403 schema
 * not found, 409 incompatible, 42201 invalid schema, 42202 invalid version,
 * 42203 invalid compatibility level, 40408 no subject-level config), so
 * existing registry clients understand it.
 */
export class RegistryError extends Error {
  readonly status: number;
  readonly errorCode: number;

  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
export const versionNotFound = (version: number | string) => new RegistryError(404, 40402, `Version ${version} not found.`);
export const schemaNotFound = () => new RegistryError(404, 40403, 'Schema not found');
