import fc from 'fast-check';
import { anyText } from '../hostile.ts';
import { parseJson, actionAsSent } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { EVENTBRIDGE_ACTION_NAMES, EVENTBRIDGE_INPUTS, inputMutation, mutateInput, resolveNames, UNKNOWN_ACTIONS, type InputMutation } from './broker-inputs.ts';
import { rule, type Surface, type Verdict } from './surface.ts';

/**
 * The broker's EventBridge (`X-Amz-Target: AWSEvents.<Action>`, JSON 1.1):
 * every action, including the connection and API-destination ones it does
 * not support, with parameters around a valid request and broken ones;
 * event patterns that do not parse, nest deep, list thousands of values or
 * score high on wildcard complexity; PutEvents batches over 10 entries and
 * 256 KB, details nested past 1100 levels; unknown and prototype-named
 * actions. Only the fuzzer's own buses, rules, archives and queues are
 * changed.
 */

export interface EventBridgeInput {
  action: string;
  known: boolean;
  input: Record<string, unknown>;
  mutations: InputMutation[];
  body: 'json' | 'text';
  text: string;
}

const inputs: fc.Arbitrary<EventBridgeInput> = fc
  .tuple(
    fc.oneof(
      {
        weight: 12,
        arbitrary: fc.constantFrom(...EVENTBRIDGE_ACTION_NAMES).chain((action) =>
          fc.record({ action: fc.constant(action), known: fc.constant(true), input: EVENTBRIDGE_INPUTS[action] ?? fc.dictionary(fc.constantFrom('Name', 'Arn', 'ConnectionArn'), anyText, { maxKeys: 2 }) }),
        ),
      },
      { weight: 1, arbitrary: fc.record({ action: fc.oneof(fc.constantFrom(...UNKNOWN_ACTIONS), anyText), known: fc.constant(false), input: fc.constant({}) }) },
    ),
    fc.oneof({ weight: 3, arbitrary: fc.constant([] as InputMutation[]) }, { weight: 2, arbitrary: fc.array(inputMutation, { minLength: 1, maxLength: 3 }) }),
    fc.oneof({ weight: 20, arbitrary: fc.constant('json' as const) }, { weight: 1, arbitrary: fc.constant('text' as const) }),
    fc.constantFrom('{', '[]', 'null', '', '{"Entries":', `${'['.repeat(10_000)}`),
  )
  .map(([a, mutations, body, text]) => ({ ...a, mutations, body, text }));

export const eventBridgeSurface: Surface<EventBridgeInput> = {
  name: 'eventbridge',
  weight: 9,
  inputs,
  describe(input) {
    return `AWSEvents.${input.action} (${input.body}) ${JSON.stringify(mutateInput(input.input, input.mutations)).slice(0, 400)}`;
  },
  async send(input, world: FuzzWorld): Promise<Verdict> {
    const resolved = resolveNames(mutateInput(input.input, input.mutations), world.brokerResources, world.learnt);
    const body = input.body === 'json' ? JSON.stringify(resolved) : input.text;
    const answer = await world.broker.send({
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': `AWSEvents.${input.action}`, 'content-type': 'application/x-amz-json-1.1', authorization: 'AWS4-HMAC-SHA256 Credential=fuzz/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x' },
      body,
    });
    const type = (parseJson(answer.body) as { __type?: string } | undefined)?.__type ?? '?';
    return {
      outcome: `${answer.status}${answer.status >= 400 ? ` ${type}` : ''}`,
      problems: [
        ...rule(answer.status >= 500, '5xx', () => `AWSEvents.${input.action} ${body.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`),
        ...rule(!EVENTBRIDGE_ACTION_NAMES.includes(actionAsSent(input.action)) && answer.status < 300, 'accepted an unknown action', () => `AWSEvents.${input.action} → ${answer.status} ${answer.body.slice(0, 200)}`),
      ],
    };
  },
};
