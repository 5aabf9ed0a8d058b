import fc from 'fast-check';
import { TOKEN_KINDS, type TokenKind } from '../fixtures.ts';
import { anyText, NASTY_IDS, wrongTypes } from '../hostile.ts';
import { refs, resolveRefs } from '../refs.ts';
import { parseJson } from '../wire.ts';
import { rule, type Problem, type Surface } from './surface.ts';

/**
 * The federated graph at /graphql: the seed's queries with other users' ids
 * and malformed ones, nesting past the depth limit, aliases and wide pages
 * past the cost limit, batches, fragment cycles, introspection (off),
 * syntax that does not parse, variables of the wrong type, and every kind of
 * token. A user must never see another's data, and nothing may be a 5xx.
 */

const TRANSACTION_FIELDS = 'id amount amountDecimal amountMinor currency status direction senderId receiverId senderWalletId receiverWalletId note reason createdAt';
const WALLET_FIELDS = 'id currency balance balanceDecimal balanceMinor available availableMinor frozen frozenMinor createdAt';
const USER_FIELDS = 'id email firstName lastName defaultCurrency createdAt';

type Shape =
  | { kind: 'user'; limit: unknown; inline: boolean }
  | { kind: 'transaction'; wallets: boolean }
  | { kind: 'me' }
  | { kind: 'deep'; depth: number }
  | { kind: 'aliases'; count: number; limit: number }
  | { kind: 'fragment-cycle' }
  | { kind: 'introspection'; which: number }
  | { kind: 'text'; text: string };

export interface GraphQLInput {
  token: { kind: TokenKind; user: number };
  transport: 'post' | 'get' | 'batch' | 'raw-body';
  shape: Shape;
  /** The id the query asks about (a reference, or a malformed value). */
  id: unknown;
  operationName: string | undefined;
  extraVariables: Record<string, unknown>;
  rawBody: string;
}

const INTROSPECTION = [
  '{ __schema { types { name fields { name } } } }',
  '{ __type(name: "User") { name fields { name type { name } } } }',
  'query { _service { sdl } }',
  'query { _entities(representations: [{ __typename: "User", id: "x" }]) { __typename } }',
  '{ __typename }',
];

const BROKEN = [
  '',
  '{',
  '{ me { id }',
  'query { me { emial } }',
  'mutation { me { id } }',
  'subscription { me { id } }',
  'query A { me { id } } query B { me { email } }',
  'query A { me { id } } query A { me { email } }',
  '{ me { id @skip(if: "yes") } }',
  '{ me { id @unknownDirective } }',
  '{ me { id @include(if: $undefined) } }',
  '{ user(id: 1) { id } }',
  '{ user { id } }',
  '{ user(id: null) { id } }',
  '{ transaction(id: "") { id } }',
  `{ me { ${'id '.repeat(12_000)} } }`,
  `{ me { id } }${' '.repeat(100_000)}`,
  `query { me { ${'__typename '.repeat(3000)} } }`,
  '{ me { wallets { transactions(limit: -1) { id } } } }',
  '{ me { wallets { transactions(limit: 1000000000000) { id } } } }',
  '{ me { wallets { transactions(limit: 2147483648) { id } } } }',
  '{ me { ... on Wallet { id } } }',
  '{ me { ...Missing } }',
  '"\\u0000"',
  '# only a comment',
  '{ me(id: "x") { id } }',
  'query ($a: Int = "x") { me { id } }',
];

const idValue = fc.oneof(
  { weight: 4, arbitrary: refs.userId },
  { weight: 3, arbitrary: refs.payment },
  { weight: 1, arbitrary: refs.wallet },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_IDS) },
  { weight: 1, arbitrary: wrongTypes },
);

const shape: fc.Arbitrary<Shape> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('user' as const), limit: fc.oneof(fc.integer({ min: -5, max: 150 }), wrongTypes), inline: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transaction' as const), wallets: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'me' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 2, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aliases' as const), count: fc.constantFrom(2, 10, 100, 1000, 3000), limit: fc.constantFrom(1, 10, 100) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fragment-cycle' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('introspection' as const), which: fc.nat(INTROSPECTION.length - 1) }) },
  { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...BROKEN), anyText).map((text) => ({ kind: 'text' as const, text })) },
);

const inputs: fc.Arbitrary<GraphQLInput> = fc.record({
  token: fc.record({ kind: fc.oneof({ weight: 8, arbitrary: fc.constant('valid' as TokenKind) }, { weight: 3, arbitrary: fc.constantFrom(...TOKEN_KINDS) }), user: fc.nat(3) }),
  transport: fc.oneof({ weight: 12, arbitrary: fc.constant('post' as const) }, { weight: 1, arbitrary: fc.constantFrom('get', 'batch', 'raw-body') as fc.Arbitrary<GraphQLInput['transport']> }),
  shape,
  id: idValue,
  operationName: fc.option(fc.constantFrom('Q', 'A', 'B', 'Missing', '', '__proto__'), { nil: undefined }),
  extraVariables: fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('id', 'limit', '__proto__', 'x'), fc.oneof(wrongTypes, refs.userId), { maxKeys: 2 }) }),
  rawBody: fc.constantFrom('{', '[]', '[{}]', 'null', '{"query": 1}', '{"query": {"a": 1}}', '{"query": "{ me { id } }", "variables": "x"}', '{"query": "{ me { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}', 'query { me { id } }'),
});

/** The document and variables of an input (references still unresolved). */
function documentOf(input: GraphQLInput): { query: string; variables: Record<string, unknown> } {
  const s = input.shape;
  switch (s.kind) {
    case 'user': {
      const selection = `{ ${USER_FIELDS} wallets { ${WALLET_FIELDS} transactions(limit: $limit) { ${TRANSACTION_FIELDS} } } }`;
      if (s.inline) return { query: `query Q($id: ID!, $limit: Int) { user(id: $id) ${selection} }`, variables: { id: input.id, limit: s.limit } };
      return { query: `query Q($id: ID!, $limit: Int) { user(id: $id) ${selection} me { id wallets { id } } }`, variables: { id: input.id, limit: s.limit } };
    }
    case 'transaction': {
      const wallets = s.wallets ? ` senderWallet { ${WALLET_FIELDS} } receiverWallet { ${WALLET_FIELDS} transactions(limit: 5) { ${TRANSACTION_FIELDS} } }` : '';
      return { query: `query Q($id: ID!) { transaction(id: $id) { ${TRANSACTION_FIELDS}${wallets} } }`, variables: { id: input.id } };
    }
    case 'me':
      return { query: `query Q { me { ${USER_FIELDS} wallets { ${WALLET_FIELDS} transactions { ${TRANSACTION_FIELDS} } } } }`, variables: {} };
    case 'deep': {
      let inner = 'id';
      for (let i = 0; i < s.depth; i++) inner = i % 2 === 0 ? `senderWallet { id transactions(limit: 2) { ${inner} } }` : `id ${inner}`;
      return { query: `query Q($id: ID!) { transaction(id: $id) { senderId receiverId ${inner} } }`, variables: { id: input.id } };
    }
    case 'aliases':
      return { query: `query Q { ${Array.from({ length: s.count }, (_, i) => `a${i}: me { id wallets { transactions(limit: ${s.limit}) { id } } }`).join(' ')} }`, variables: {} };
    case 'fragment-cycle':
      return { query: 'query Q { me { ...A } } fragment A on User { id ...B } fragment B on User { email ...A }', variables: {} };
    case 'introspection':
      return { query: INTROSPECTION[s.which]!, variables: {} };
    case 'text':
      return { query: s.text, variables: { id: input.id } };
  }
}

export const graphqlSurface: Surface<GraphQLInput> = {
  name: 'graphql',
  weight: 12,
  inputs,
  describe(input) {
    const { query, variables } = documentOf(input);
    return `${input.transport} /graphql token=${input.token.kind}:${input.token.user} query=${JSON.stringify(query.slice(0, 200))}${query.length > 200 ? `…(${query.length} chars)` : ''} variables=${JSON.stringify({ ...variables, ...input.extraVariables }).slice(0, 200)} operationName=${JSON.stringify(input.operationName)}`;
  },
  async send(input, world) {
    const { fixtures } = world;
    const credentials = fixtures.credentials(input.token.kind, input.token.user);
    const document = documentOf(input);
    const variables = resolveRefs({ ...document.variables, ...input.extraVariables }, fixtures, input.token.user);
    const operation = { query: document.query, variables: variables.value, ...(input.operationName !== undefined ? { operationName: input.operationName } : {}) };
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
    if (credentials.authorization !== undefined) headers.authorization = credentials.authorization;
    let method = 'POST';
    let path = '/graphql';
    let body: string | undefined;
    switch (input.transport) {
      case 'post':
        body = JSON.stringify(operation);
        break;
      case 'batch':
        body = JSON.stringify([operation, operation, { query: '{ me { id } }' }]);
        break;
      case 'raw-body':
        body = input.rawBody;
        break;
      case 'get':
        method = 'GET';
        delete headers['content-type'];
        // Apollo's CSRF prevention wants a header a browser form cannot set.
        headers['apollo-require-preflight'] = 'true';
        // A URL carries UTF-8 only: a lone surrogate goes as the U+FFFD it would decode to.
        path += `?query=${encodeURIComponent(document.query.slice(0, 6000).toWellFormed())}&variables=${encodeURIComponent((JSON.stringify(variables.value) ?? '').toWellFormed())}`;
        break;
    }
    const answer = await world.gateway.send({ method, path, headers, body });
    const json = parseJson(answer.body) as { data?: Record<string, any> | null; errors?: unknown[] } | undefined;
    const data = json?.data ?? undefined;
    const caller = credentials.caller ?? (input.token.kind === 'unknown-user' ? 'unknown-user' : undefined);
    const problems: Problem[] = [
      ...rule(answer.status >= 500, '5xx', () => `${method} /graphql → ${answer.status} ${answer.body.slice(0, 300)}`),
      ...rule(!credentials.accepted && !!data && Object.values(data).some((v) => v !== null), 'answered a refused token', () => `a ${input.token.kind} token got data: ${answer.body.slice(0, 200)}`),
      ...rule(!!data?.__schema || !!data?.__type || !!data?._service || !!data?._entities, 'introspection answered while off', () => answer.body.slice(0, 200)),
      ...rule(!!data?.user && data.user.id !== credentials.caller, "another user's data", () => `user(id) as ${input.token.kind}:${input.token.user} answered user ${data!.user.id}`),
      ...rule(
        !!data?.transaction && data.transaction.senderId !== credentials.caller && data.transaction.receiverId !== credentials.caller,
        "another user's data",
        () => `transaction(id) as ${input.token.kind}:${input.token.user} answered a payment between ${data!.transaction.senderId} and ${data!.transaction.receiverId}`,
      ),
    ];
    const leaks = fixtures.privacy.leaks(caller, `${path} ${body ?? ''}`, answer.body);
    problems.push(...rule(leaks.length > 0, "another user's data", () => `/graphql as ${input.token.kind}:${input.token.user} → ${answer.status} showed ${leaks.join(', ')}`));
    const code = (json?.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
    return { outcome: code ? `${answer.status} ${code}` : String(answer.status), problems };
  },
};
