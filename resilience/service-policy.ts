import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { PayMeshError } from '../contracts/errors.ts';
import { gauge, counter } from '../observability/metrics.ts';
import { DEFAULT_POLICY } from './settings.ts';

export interface ServicePolicyOptions {
  /** The dependency's name, e.g. `user-service`: labels metrics and errors. */
  target: string;
  timeoutMs?: number;
  /** Extra attempts for idempotent calls (never for others). */
  retries?: number;
  /** The seed's breaker: open after 3 consecutive failures, try again after 30 s. */
  failureThreshold?: number;
  halfOpenAfterMs?: number;
  /** Which errors count as the dependency failing (network, timeouts, 5xx), as opposed to a refused request. */
  isFailure: (err: unknown) => boolean;
}

export type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

const breakerState = gauge('circuit_breaker_state', 'Circuit breaker state by target: 0 closed, 1 open, 2 half-open, 3 isolated', ['target']);
const breakerTransitions = counter('circuit_breaker_transitions_total', 'Circuit breaker state changes', ['target', 'state']);

export interface BreakerSnapshot {
  target: string;
  state: BreakerState;
  failureThreshold: number;
  halfOpenAfterMs: number;
  lastFailure: string | undefined;
  lastChange: string;
  /** While open: when the next call is let through as a trial. */
  halfOpenAt: string | undefined;
}

const registry = new Map<string, ServicePolicy>();

/** Every breaker in this process, for the admin API and the console. */
export function breakerSnapshots(): BreakerSnapshot[] {
  return [...registry.values()].map((p) => p.snapshot());
}

/**
 * Timeout, retries with jittered exponential backoff (idempotent calls only)
 * and a circuit breaker around calls to one dependency, built from cockatiel.
 * An open breaker fails fast with a 503-mapped `SERVICE_UNAVAILABLE` error.
 */
export class ServicePolicy {
  readonly target: string;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly isFailure: (err: unknown) => boolean;
  private readonly failureThreshold: number;
  private readonly halfOpenAfterMs: number;
  private lastFailure: string | undefined;
  private lastChange = new Date();
  /** Built once: a call's policies hold no state of their own (the breaker is shared). */
  private readonly idempotentPolicy: IPolicy;
  private readonly oncePolicy: IPolicy;

  constructor(options: ServicePolicyOptions) {
    this.target = options.target;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_POLICY.timeoutMs;
    this.retries = options.retries ?? 2;
    this.isFailure = options.isFailure;
    this.failureThreshold = options.failureThreshold ?? DEFAULT_POLICY.failureThreshold;
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? DEFAULT_POLICY.halfOpenAfterMs;
    this.breaker = circuitBreaker(handleWhen((err) => this.countsAsFailure(err)), {
      halfOpenAfter: this.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.failureThreshold),
    });
    this.breaker.onStateChange((state) => {
      this.lastChange = new Date();
      breakerState.set({ target: this.target }, state);
      breakerTransitions.inc({ target: this.target, state: STATE_NAMES[state] });
    });
    breakerState.set({ target: this.target }, CircuitState.Closed);
    // Not aborted on return (cockatiel's default): a call that answered leaves nothing to cancel, and each abort
    // builds a DOMException with a stack, ~2% of a busy gateway's CPU.
    const attempt = timeout(this.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    this.oncePolicy = wrap(this.breaker, attempt);
    this.idempotentPolicy = this.retries > 0
      ? wrap(
          retry(handleWhen((err) => this.countsAsFailure(err) && !(err instanceof BrokenCircuitError)), {
            maxAttempts: this.retries,
            backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
          }),
          this.breaker,
          attempt,
        )
      : this.oncePolicy;
    registry.set(this.target, this);
  }

  get state(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      target: this.target,
      state,
      failureThreshold: this.failureThreshold,
      halfOpenAfterMs: this.halfOpenAfterMs,
      lastFailure: this.lastFailure,
      lastChange: this.lastChange.toISOString(),
      halfOpenAt: state === 'open' ? new Date(this.lastChange.getTime() + this.halfOpenAfterMs).toISOString() : undefined,
    };
  }

  /** Runs `call` under the policy. `call` receives an AbortSignal that fires on timeout. */
  async execute<T>(call: (signal: AbortSignal) => Promise<T>, { idempotent }: { idempotent: boolean }): Promise<T> {
    const policy = idempotent ? this.idempotentPolicy : this.oncePolicy;
    try {
      return await policy.execute(({ signal }) => call(signal));
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        // The breaker lets a trial call through at halfOpenAt: that is when a retry can succeed.
        const halfOpenAt = this.lastChange.getTime() + this.halfOpenAfterMs;
        const retryAfterSeconds = Math.max(1, Math.ceil((halfOpenAt - Date.now()) / 1000));
        throw new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', `${this.target} is unavailable (circuit breaker open); try again in ${retryAfterSeconds} s`, undefined, { retryAfterSeconds });
      }
      if (err instanceof TaskCancelledError) {
        throw new PayMeshError('unavailable', 'SERVICE_TIMEOUT', `${this.target} did not answer within ${this.timeoutMs} ms`);
      }
      if (this.countsAsFailure(err) && !(err instanceof PayMeshError)) {
        throw new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', `${this.target} is unavailable`);
      }
      throw err;
    }
  }

  private countsAsFailure(err: unknown): boolean {
    const failed = err instanceof TaskCancelledError || this.isFailure(err);
    if (failed) this.lastFailure = `${new Date().toISOString()} ${(err as Error)?.message ?? String(err)}`.slice(0, 300);
    return failed;
  }
}
