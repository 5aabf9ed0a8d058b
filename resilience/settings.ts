import type { ConfigReader } from '../core/config.ts';

/** The part of a ServicePolicy an operator may tune per dependency. */
export interface PolicySettings {
  timeoutMs: number;
  failureThreshold: number;
  halfOpenAfterMs: number;
}

/** The seed's breaker (3 failures, 30 s) and a 5 s timeout per call. */
export const DEFAULT_POLICY: PolicySettings = { timeoutMs: 5000, failureThreshold: 3, halfOpenAfterMs: 30_000 };

/** `user-service` → `USER_SERVICE`: the prefix of that dependency's settings. */
export function policyEnvPrefix(target: string): string {
  return target.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * One dependency's timeout and breaker from the environment, e.g. for
 * `user-service`: USER_SERVICE_TIMEOUT_MS, USER_SERVICE_BREAKER_FAILURES,
 * USER_SERVICE_BREAKER_HALF_OPEN_MS. Problems go to the caller's reader, so a
 * service reports every bad setting at once.
 */
export function policySettingsFromEnv(target: string, read: ConfigReader): PolicySettings {
  const prefix = policyEnvPrefix(target);
  return {
    timeoutMs: read.int(`${prefix}_TIMEOUT_MS`, DEFAULT_POLICY.timeoutMs, 50, 120_000),
    failureThreshold: read.int(`${prefix}_BREAKER_FAILURES`, DEFAULT_POLICY.failureThreshold, 1, 1000),
    halfOpenAfterMs: read.int(`${prefix}_BREAKER_HALF_OPEN_MS`, DEFAULT_POLICY.halfOpenAfterMs, 100, 3_600_000),
  };
}
