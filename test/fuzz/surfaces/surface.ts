import type fc from 'fast-check';
import type { FuzzWorld } from '../world.ts';

/** Every surface the campaign throws inputs at, in the order the report lists them. */
export const SURFACE_NAMES = ['rest', 'graphql', 'websocket', 'admin', 'grpc', 'sqs-json', 'sqs-query', 'eventbridge'] as const;
export type SurfaceName = (typeof SURFACE_NAMES)[number];

/** A broken rule, as the report prints it: which check, and what was seen. */
export interface Problem {
  check: string;
  detail: string;
}

/** What one input got back, judged. */
export interface Verdict {
  /** How the report counts it: an HTTP status, a gRPC code, how a WebSocket closed... */
  outcome: string;
  problems?: Problem[];
  /** Milliseconds beyond the 5 s limit this input was entitled to (a long poll it asked for). */
  allowanceMs?: number;
}

/**
 * One surface of the platform: how its inputs are drawn and how one is sent
 * and judged. Inputs are plain data drawn from the campaign's seed; anything
 * that depends on the running platform (a user's id, a token, a wallet) is a
 * reference the surface resolves when it sends, so input N of a seed is the
 * same input on every run.
 */
export interface Surface<Input = unknown> {
  readonly name: SurfaceName;
  /** Its share of the campaign's inputs, relative to the others'. */
  readonly weight: number;
  readonly inputs: fc.Arbitrary<Input>;
  /** One line saying what the input is, for a finding's reproduction. */
  describe(input: Input): string;
  /** Sends it and judges the answer; a network failure is thrown (the runner judges those). */
  send(input: Input, world: FuzzWorld): Promise<Verdict>;
  /** Lets go of what it holds open (clients, channels) after the campaign. */
  close?(): Promise<void> | void;
}

/** A problem, or nothing, as a list: `problems: [...check(cond, ...)]`. */
export function rule(broken: boolean, check: string, detail: () => string): Problem[] {
  return broken ? [{ check, detail: detail() }] : [];
}
