const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else names nothing (callers answer 404, never 500). */
export function asId(raw: string): string | undefined {
  return UUID.test(raw) ? raw.toLowerCase() : undefined;
}
