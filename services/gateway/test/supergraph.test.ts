import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeServices } from '@apollo/composition';
import { getNamedType, isNonNullType, isObjectType, parse, type GraphQLObjectType } from 'graphql';
import { SUBGRAPH_NAMES, subgraphSdl } from '../../../contracts/graphql/subgraphs.ts';
import { composeSupergraph } from '../graphql.ts';

const URLS = { user: 'http://user.test/graphql', wallet: 'http://wallet.test/graphql', transaction: 'http://transaction.test/graphql' };

/** The public API schema the gateway serves, from the composed supergraph. */
function apiSchema() {
  const result = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, url: URLS[name], typeDefs: parse(subgraphSdl(name)) })));
  assert.ok(!result.errors, result.errors?.map((e) => e.message).join('\n'));
  return result.schema.toAPISchema().toGraphQLJSSchema();
}

test('the three contract SDL files compose into a supergraph without errors or hints', () => {
  const { supergraphSdl, hints } = composeSupergraph(URLS);
  assert.deepEqual(hints, []);
  for (const name of SUBGRAPH_NAMES) assert.match(supergraphSdl, new RegExp(`${name.toUpperCase()} @join__graph\\(name: "${name}", url: "${URLS[name]}"\\)`));
});

test("the composed API has the seed's shape: user, transaction, and the fields its query asks for", () => {
  const schema = apiSchema();
  const field = (type: string, name: string) => (schema.getType(type) as GraphQLObjectType).getFields()[name];
  const query = schema.getQueryType()!;
  assert.deepEqual(Object.keys(query.getFields()).sort(), ['me', 'transaction', 'user']);
  assert.equal(String(query.getFields().user!.args[0]!.type), 'ID!');
  assert.equal(String(query.getFields().user!.type), 'User');
  assert.equal(String(query.getFields().transaction!.type), 'Transaction');
  const expected: Record<string, Record<string, string>> = {
    User: { id: 'ID!', email: 'String!', firstName: 'String!', lastName: 'String!' },
    Wallet: { id: 'ID!', currency: 'String!', balance: 'Float!' },
    Transaction: { id: 'ID!', amount: 'Float!', currency: 'String!', status: 'String!', createdAt: 'String!' },
  };
  for (const [type, fields] of Object.entries(expected)) {
    for (const [name, printed] of Object.entries(fields)) assert.equal(String(field(type, name)!.type), printed, `${type}.${name}`);
  }
  assert.equal(getNamedType(field('User', 'wallets')!.type).name, 'Wallet');
  const transactions = field('Wallet', 'transactions')!;
  assert.equal(getNamedType(transactions.type).name, 'Transaction');
  assert.equal(transactions.args[0]!.name, 'limit');
  assert.equal(transactions.args[0]!.defaultValue, 10);
});

test('exact money travels as strings beside every seed float', () => {
  const schema = apiSchema();
  for (const [type, fields] of Object.entries({ Wallet: ['balanceMinor', 'balanceDecimal', 'available', 'availableMinor', 'frozen', 'frozenMinor'], Transaction: ['amountMinor', 'amountDecimal'] })) {
    const object = schema.getType(type);
    assert.ok(isObjectType(object));
    for (const name of fields) {
      const fieldType = object.getFields()[name]!.type;
      assert.ok(isNonNullType(fieldType) && String(fieldType.ofType) === 'String', `${type}.${name} is String!`);
    }
  }
});

test('federation internals are not part of the public API', () => {
  const schema = apiSchema();
  const fields = Object.keys(schema.getQueryType()!.getFields());
  assert.ok(!fields.includes('_entities') && !fields.includes('_service'));
});
