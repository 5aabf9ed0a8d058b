/**
 * How costly a pattern's wildcards are to match, measured as AWS's event-ruler
 * measures it (MachineComplexityEvaluator): the largest number of wildcard
 * pattern prefixes that one worst-case value of a field can match at the same
 * time. `*ab*ad` scores 4 ("aba" is matched by `*`, `*a`, `*ab*` and `*ab*a`);
 * every wildcard and every repeated character after one adds states that a
 * value can be in at once, which is what makes a rule slow to evaluate.
 *
 * EventBridge refuses a rule whose score is too high with
 * InvalidEventPatternException, "Rule is too complex - try using fewer
 * wildcard characters or fewer repeating character sequences after a wildcard
 * character" (user guide, "Wildcard matching" > "Wildcards and event pattern
 * complexity":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching-complexity).
 * AWS does not publish the number. Observed on AWS: `*:*:*:*:*:event-bus/*`
 * (score 11) is refused; three `*:stack/<name>/*` wildcards on one field
 * (SharedStack, TrackerStack, WorkerStack: score 9) are accepted, and a fourth
 * (MonitoringStack: score 12) has the rule refused. So the broker accepts up
 * to 9, the strictest bound consistent with both: a rule the broker accepts is
 * not refused by AWS for its complexity. The scores here reproduce every value
 * in event-ruler's MachineComplexityEvaluatorTest (test/pattern-complexity.test.ts).
 */
export const MAX_WILDCARD_COMPLEXITY = 9;

/** A token of a compiled wildcard: a byte of the value, or STAR for `*`. */
const STAR = -1;
/** Stands for every byte that no pattern names: they all lead to the same states. */
const OTHER_BYTE = 256;
/**
 * The sets of states explored before giving up. A pattern under 4096
 * characters stays far below it; one that reaches it is refused as too complex
 * rather than evaluated for long.
 */
const MAX_EXPLORED = 20_000;

/**
 * The complexity of the wildcard patterns on one field (`wildcard` and
 * `anything-but` `wildcard` operands, as literal pieces between their `*`s),
 * stopping at `cap`. Every rule prefix is an NFA state over the UTF-8 bytes of
 * the value (event-ruler works on bytes); the states reachable together are
 * explored breadth first, and the largest set found is the score.
 */
export function wildcardComplexity(patterns: ReadonlyArray<readonly string[]>, cap: number): number {
  // The same pattern twice is one set of prefixes (event-ruler keeps one).
  const unique = [...new Map(patterns.map((p) => [JSON.stringify(p), p])).values()];
  const tokens = unique.map(toTokens);
  const offsets: number[] = [];
  let total = 0;
  for (const t of tokens) {
    offsets.push(total);
    total += t.length + 1;
  }
  const owner = new Int32Array(total);
  tokens.forEach((t, p) => owner.fill(p, offsets[p]!, offsets[p]! + t.length + 1));

  const alphabet = [...new Set(tokens.flat().filter((b) => b !== STAR)), OTHER_BYTE];
  // State k of pattern p: tokens[p][0..k) consumed. A `*` also lets the value skip it (closure).
  const addWithClosure = (into: Set<number>, p: number, k: number) => {
    const t = tokens[p]!;
    into.add(offsets[p]! + k);
    while (t[k] === STAR) into.add(offsets[p]! + ++k);
  };
  const step = (states: readonly number[], byte: number): number[] => {
    const next = new Set<number>();
    for (const id of states) {
      const p = owner[id]!;
      const k = id - offsets[p]!;
      const t = tokens[p]!;
      if (k > 0 && t[k - 1] === STAR) next.add(id); // a `*` just passed takes any byte
      if (t[k] === byte) addWithClosure(next, p, k + 1);
    }
    return [...next].sort((a, b) => a - b);
  };

  const start = new Set<number>();
  tokens.forEach((_, p) => addWithClosure(start, p, 0));
  const queue: number[][] = [[...start].sort((a, b) => a - b)];
  const seen = new Set<string>([queue[0]!.join(',')]);
  let max = 0;
  // The start state itself is not counted: event-ruler scores states reached by at least one byte.
  for (let i = 0; i < queue.length; i++) {
    for (const byte of alphabet) {
      const next = step(queue[i]!, byte);
      if (next.length === 0) continue;
      if (next.length > max) max = next.length;
      if (max >= cap) return cap;
      const key = next.join(',');
      if (seen.has(key)) continue;
      if (seen.size >= MAX_EXPLORED) return cap;
      seen.add(key);
      queue.push(next);
    }
  }
  return max;
}

function toTokens(pieces: readonly string[]): number[] {
  const out: number[] = [];
  pieces.forEach((piece, i) => {
    if (i > 0) out.push(STAR);
    for (const byte of Buffer.from(piece, 'utf8')) out.push(byte);
  });
  return out;
}
