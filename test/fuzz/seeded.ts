import fc from 'fast-check';

/** How many inputs fast-check draws at a time for one surface. */
const BATCH = 256;

/**
 * Input number i of one surface, for one seed: drawn by fast-check in
 * batches, each batch from a seed derived from the campaign's seed, the
 * surface and the batch number. So input i is the same on every run of the
 * seed, whatever the platform answered to the others or how the surfaces
 * interleaved, and `--replay rest#1234` can draw it alone.
 */
export class InputStream<T> {
  private readonly arbitrary: fc.Arbitrary<T>;
  private readonly seed: number;
  private readonly label: string;
  private batchNumber = -1;
  private batch: T[] = [];

  constructor(arbitrary: fc.Arbitrary<T>, seed: number, label: string) {
    this.arbitrary = arbitrary;
    this.seed = seed;
    this.label = label;
  }

  at(index: number): T {
    const batchNumber = Math.floor(index / BATCH);
    if (batchNumber !== this.batchNumber) {
      this.batch = fc.sample(this.arbitrary, { seed: derivedSeed(this.seed, `${this.label}#${batchNumber}`), numRuns: BATCH });
      this.batchNumber = batchNumber;
    }
    return this.batch[index % BATCH]!;
  }
}

/** A 31-bit seed from a seed and a label (FNV-1a over both). */
export function derivedSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of `${seed}:${label}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 1;
}

/** A small seeded generator (mulberry32) for the campaign's own choices, such as which surface comes next. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
