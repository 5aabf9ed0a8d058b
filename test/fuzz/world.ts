import type { Platform } from '../../scripts/platform.ts';
import type { AcceptedEffects } from './effects.ts';
import type { Fixtures } from './fixtures.ts';
import type { BrokerResources } from './surfaces/broker-resources.ts';
import type { HttpWire } from './wire.ts';

/** Values learnt from answers during the campaign, which later inputs may reach for by number. */
export class Learnt {
  private readonly values = new Map<string, string[]>();
  private static readonly KEEP = 64;

  add(kind: string, value: string): void {
    let list = this.values.get(kind);
    if (!list) this.values.set(kind, (list = []));
    if (list.includes(value)) return;
    list.push(value);
    if (list.length > Learnt.KEEP) list.shift();
  }

  /** The n-th value of a kind (wrapping), or `fallback` while none has been learnt. */
  pick(kind: string, n: number, fallback: string): string {
    const list = this.values.get(kind);
    return list && list.length > 0 ? list[n % list.length]! : fallback;
  }
}

/** Everything a surface needs to send an input and judge its answer. */
export interface FuzzWorld {
  readonly seed: number;
  readonly platform: Platform;
  readonly fixtures: Fixtures;
  readonly effects: AcceptedEffects;
  /** Keep-alive pools to the gateway and the broker. */
  readonly gateway: HttpWire;
  readonly broker: HttpWire;
  /** host:port of the wallet's gRPC server. */
  readonly walletAddress: string;
  /** The queues, buses and names the fuzzer made on the broker, the only ones its inputs may change. */
  readonly brokerResources: BrokerResources;
  readonly learnt: Learnt;
}
