import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandDottedKeys, jsonShape, splitDottedKeys } from '../dotted-keys.ts';
import { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from '../pattern-complexity.ts';
import { checkWildcardComplexity, matchableEvent, matchesPattern, parseEventPattern } from '../pattern.ts';

/**
 * The wildcard complexity score is event-ruler's (MachineComplexityEvaluator,
 * the engine behind EventBridge's "Rule is too complex"): these are the scores
 * its own tests expect, each the number of wildcard prefixes that one
 * worst-case value matches at once. A score in the comment, e.g. "aba" by *, *a, *ab*, *ab*a.
 */
const SCORES: Array<[string[], number]> = [
  [['*'], 1],
  [['abc'], 1],
  [['*ab'], 2],
  [['*aa'], 3],
  [['a*b'], 2],
  [['aa*'], 2],
  [['a*bbb'], 4],
  [['*ab*ad'], 4],
  [['*aba*'], 4],
  [['a*b*bb'], 5],
  [['ab*b*'], 3],
  [['*', 'ab*c'], 3],
  [['*abc', '*abcde'], 4],
  [['a*aaa', 'aa*aa'], 7],
  [['a*aaa', 'aaa*a'], 6],
  [['abc*', 'abcde*'], 3],
  [['ab*cd', 'ab*wx', 'ab*yz'], 6],
  [['ab*c', 'ab*c'], 2],
  [['*ab*b*b*'], 7],
  [['*a*a*a*a*a*a*a*a*'], 17],
  [['a*a*a*a*a*a*'], 11],
  [['F*eatureFeature', 'Fe*atureFeature', 'Fea*tureFeature'], 10],
];

const pieces = (pattern: string) => pattern.split('*');

describe('wildcard complexity, scored as event-ruler scores it', () => {
  for (const [patterns, score] of SCORES) {
    test(`${patterns.join(' + ')} scores ${score}`, () => {
      assert.equal(wildcardComplexity(patterns.map(pieces), 1000), score);
    });
  }

  test('the AWS data points: `*:*:*:*:*:event-bus/*` and four `*:stack/<name>/*` are over the limit, three are not', () => {
    const stacks = (names: string[]) => names.map((name) => pieces(`*:stack/${name}/*`));
    assert.ok(wildcardComplexity([pieces('*:*:*:*:*:event-bus/*')], 1000) > MAX_WILDCARD_COMPLEXITY);
    assert.ok(wildcardComplexity(stacks(['SharedStack', 'TrackerStack', 'WorkerStack']), 1000) <= MAX_WILDCARD_COMPLEXITY);
    assert.ok(wildcardComplexity(stacks(['SharedStack', 'TrackerStack', 'WorkerStack', 'MonitoringStack']), 1000) > MAX_WILDCARD_COMPLEXITY);
  });

  test('scoring stops at its cap, even for a pattern far beyond it', () => {
    const started = Date.now();
    assert.equal(wildcardComplexity([pieces('F*e*a*t*u*r*e*'.repeat(300))], MAX_WILDCARD_COMPLEXITY + 1), MAX_WILDCARD_COMPLEXITY + 1);
    assert.ok(Date.now() - started < 2000);
  });

  test('only patterns coming in are scored: a stored rule from before the check still parses, and so is still routed', () => {
    assert.doesNotThrow(() => parseEventPattern(JSON.stringify({ detail: { arn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] } })));
  });

  test('a field path is the same whether it is written with dots or nested: their wildcards add up', () => {
    const wildcard = (name: string) => ({ wildcard: `*:stack/${name}/*` });
    const raw = { $or: [{ detail: { 'stack.id': [wildcard('A'), wildcard('B')] } }, { detail: { stack: { id: [wildcard('C'), wildcard('D')] } } }] };
    assert.throws(() => checkWildcardComplexity(raw), /Rule is too complex/);
    assert.throws(() => checkWildcardComplexity(parseEventPattern(JSON.stringify(raw))), /Rule is too complex/, 'the parsed (split) pattern scores the same');
    checkWildcardComplexity({ $or: [{ detail: { 'stack.id': [wildcard('A'), wildcard('B')] } }, { detail: { stack: { arn: [wildcard('C'), wildcard('D')] } } }] });
  });
});

describe('dotted keys', () => {
  test('matchesPattern takes any pattern and event as they are: dotted keys on either side are nested fields', () => {
    assert.equal(matchesPattern({ detail: { 'a.b': ['x'] } }, { detail: { a: { b: 'x' } } }), true);
    assert.equal(matchesPattern({ detail: { a: { b: ['x'] } } }, { detail: { 'a.b': 'x' } }), true);
    assert.equal(matchesPattern({ 'detail.a.b': ['x'] }, { detail: { 'a.b': 'x' } }), true);
  });

  test('an event field given both dotted and nested has both values; nested objects merge', () => {
    const event = { 'a.b': 1, a: { b: 2, c: { d: 3 } }, 'a.c.e': 4 };
    assert.deepEqual(JSON.parse(JSON.stringify(expandDottedKeys(event))), { a: { b: [1, 2], c: { d: 3, e: 4 } } });
    assert.equal(matchesPattern({ a: { b: [1] } }, event), true);
    assert.equal(matchesPattern({ a: { b: [2], c: { d: [3], e: [4] } } }, event), true);
  });

  test('arrays of objects keep their elements apart after expansion', () => {
    const event = { items: [{ 'sku.id': 'a', qty: 1 }, { 'sku.id': 'b', qty: 2 }] };
    assert.equal(matchesPattern({ items: { sku: { id: ['a'] }, qty: [1] } }, event), true);
    assert.equal(matchesPattern({ items: { sku: { id: ['a'] }, qty: [2] } }, event), false);
  });

  test('a pattern field written twice, dotted and nested, keeps the later one, as AWS keeps the last pattern of a field', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(splitDottedKeys({ 'a.b': ['first'], a: { b: ['second'], c: ['kept'] } }))), { a: { b: ['second'], c: ['kept'] } });
  });

  test('a key named __proto__ stays a field name when keys are split or expanded', () => {
    const pattern = splitDottedKeys(JSON.parse('{"__proto__.polluted": ["yes"]}'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(matchesPattern(pattern, JSON.parse('{"__proto__": {"polluted": "yes"}}')), true);
    expandDottedKeys(JSON.parse('{"__proto__.polluted": "yes"}'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('an event without dotted keys is matched as it is, not copied', () => {
    const event = { detail: { state: 'x', amount: 1.5 } };
    assert.equal(matchableEvent(event), event);
  });

  test('an event as deep as the broker expands has its dotted keys expanded without running out of stack', () => {
    let deep: unknown = { 'a.b': 'x' };
    for (let i = 0; i < 1998; i++) deep = { n: deep };
    assert.equal(jsonShape(deep).depth, 1999);
    let node = matchableEvent(deep) as Record<string, any>;
    for (let i = 0; i < 1998; i++) node = node.n;
    assert.equal(node.a.b, 'x');
  });

  test('jsonShape measures any depth without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.deepEqual(jsonShape({ 'a.b': deep }), { depth: 100_001, dottedKeys: true });
    assert.equal(matchableEvent(deep), deep, 'too deep to expand: matched as it is');
  });
});
