import fc from 'fast-check';
import { anyText } from '../hostile.ts';
import { parseJson, actionAsSent } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { inputMutation, learnFrom, mutateInput, requestedWaitMs, resolveNames, SQS_ACTION_NAMES, SQS_INPUTS, UNKNOWN_ACTIONS, type InputMutation } from './broker-inputs.ts';
import { rule, type Surface, type Verdict } from './surface.ts';

/**
 * The broker's SQS JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`, JSON
 * 1.0): every action with inputs around a valid request and broken ones,
 * unknown and prototype-named actions, targets spelt wrong, bodies that are
 * not JSON objects. Each answer is a 2xx or a 4xx with an error shape; none
 * is a 5xx, a reset or slower than 5 s (plus any long poll it asked for).
 */

export interface SqsJsonInput {
  action: string;
  known: boolean;
  input: Record<string, unknown>;
  mutations: InputMutation[];
  target: 'exact' | 'lower-case' | 'no-service' | 'other-service' | 'trailing';
  body: 'json' | 'array' | 'text' | 'empty';
  text: string;
}

const knownAction = fc.constantFrom(...SQS_ACTION_NAMES).chain((action) =>
  fc.record({ action: fc.constant(action), known: fc.constant(true), input: SQS_INPUTS[action] ?? fc.constant({}) }),
);
const unknownAction = fc.record({ action: fc.oneof(fc.constantFrom(...UNKNOWN_ACTIONS), anyText), known: fc.constant(false), input: fc.constant({}) });

const inputs: fc.Arbitrary<SqsJsonInput> = fc
  .tuple(
    fc.oneof({ weight: 12, arbitrary: knownAction }, { weight: 1, arbitrary: unknownAction }),
    fc.oneof({ weight: 3, arbitrary: fc.constant([] as InputMutation[]) }, { weight: 2, arbitrary: fc.array(inputMutation, { minLength: 1, maxLength: 3 }) }),
    fc.oneof({ weight: 20, arbitrary: fc.constant('exact' as const) }, { weight: 1, arbitrary: fc.constantFrom('lower-case', 'no-service', 'other-service', 'trailing') as fc.Arbitrary<SqsJsonInput['target']> }),
    fc.oneof({ weight: 20, arbitrary: fc.constant('json' as const) }, { weight: 1, arbitrary: fc.constantFrom('array', 'text', 'empty') as fc.Arbitrary<SqsJsonInput['body']> }),
    fc.constantFrom('{', 'null', '"x"', '12', '{"QueueUrl":', '\u0000', '{"__proto__":{"x":1}}'),
  )
  .map(([a, mutations, target, body, text]) => ({ ...a, mutations, target, body, text }));

export const sqsJsonSurface: Surface<SqsJsonInput> = {
  name: 'sqs-json',
  weight: 12,
  inputs,
  describe(input) {
    return `AmazonSQS.${input.action} (${input.target}, ${input.body}) ${JSON.stringify(mutateInput(input.input, input.mutations)).slice(0, 400)}`;
  },
  async send(input, world: FuzzWorld): Promise<Verdict> {
    const resolved = resolveNames(mutateInput(input.input, input.mutations), world.brokerResources, world.learnt) as Record<string, unknown>;
    const target = {
      exact: `AmazonSQS.${input.action}`,
      'lower-case': `amazonsqs.${input.action}`,
      'no-service': input.action,
      'other-service': `AWSEvents.${input.action}`,
      trailing: `AmazonSQS.${input.action}.`,
    }[input.target];
    const body = input.body === 'json' ? JSON.stringify(resolved) : input.body === 'array' ? JSON.stringify([resolved]) : input.body === 'text' ? input.text : '';
    const answer = await world.broker.send({
      method: 'POST',
      path: '/',
      headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0', authorization: 'AWS4-HMAC-SHA256 Credential=fuzz/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x' },
      body,
    });
    if (answer.status === 200) learnFrom(parseJson(answer.body), world.learnt);
    const answerable = SQS_ACTION_NAMES.includes(actionAsSent(input.action)) && input.target === 'exact';
    return {
      outcome: `${answer.status}${answer.status >= 400 ? ` ${errorType(answer.body)}` : ''}`,
      allowanceMs: requestedWaitMs(input.action, resolved),
      problems: [
        ...rule(answer.status >= 500, '5xx', () => `${target} ${body.slice(0, 200)} → ${answer.status} ${answer.body.slice(0, 300)}`),
        ...rule(!answerable && answer.status < 300, 'accepted an unknown action', () => `${target} → ${answer.status} ${answer.body.slice(0, 200)}`),
      ],
    };
  },
};

function errorType(body: string): string {
  const type = (parseJson(body) as { __type?: string } | undefined)?.__type ?? '';
  return type.replace(/^.*#/, '') || '?';
}
