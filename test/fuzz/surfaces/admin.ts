import fc from 'fast-check';
import { ADMIN_ROUTES } from '../../support/admin-routes.ts';
import { TOKEN_KINDS, type TokenKind } from '../fixtures.ts';
import { anyText, wrongTypes } from '../hostile.ts';
import { refs, resolveRefs } from '../refs.ts';
import type { HttpAnswer } from '../wire.ts';
import { parseJson } from '../wire.ts';
import type { FuzzWorld } from '../world.ts';
import { rule, type Surface, type Verdict } from './surface.ts';

/**
 * The operator admin API and console as anyone but an operator: every admin
 * route (and paths around them), every kind of token including forged and
 * unsigned operator ones, a forged console cookie. Each answer must be what
 * the same request to a path that exists nowhere gets (a 404, or the 400 or
 * 431 of a request refused before routing), or outside the API's paths the
 * user app's public page: a non-operator must not even learn the admin
 * surface exists. (`/console/sign-in` is the one console page anyone may load.)
 */

/** Every admin route (test/support/admin-routes.ts), and the console's pages and paths around them. */
const ROUTES: ReadonlyArray<readonly [method: string, path: string, body?: unknown]> = [
  ...ADMIN_ROUTES,
  ['GET', '/console'],
  ['GET', '/console/'],
  ['GET', '/console/queues'],
  ['GET', '/console/console.html'],
  ['GET', '/console.html'],
  ['GET', '/console/sign-in/..'],
];

const SUFFIXES = ['', '', '', '/', ';x=1', '?__proto__=1', '/..', '/%2e%2e/%2e%2e/v1/me', '%00', '.json', '//', '?limit=1000000'] as const;

export interface AdminInput {
  route: number;
  suffix: string;
  method: string | undefined;
  token: { kind: TokenKind; user: number };
  cookie: 'none' | 'forged' | 'user-token' | 'operator-alg-none';
  html: boolean;
  id: unknown;
  body: unknown;
}

const inputs: fc.Arbitrary<AdminInput> = fc.record({
  route: fc.nat(ROUTES.length - 1),
  suffix: fc.constantFrom(...SUFFIXES),
  method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), { nil: undefined, freq: 5 }),
  token: fc.record({ kind: fc.constantFrom(...TOKEN_KINDS), user: fc.nat(3) }),
  cookie: fc.constantFrom('none', 'none', 'forged', 'user-token', 'operator-alg-none'),
  html: fc.boolean(),
  id: fc.oneof(refs.payment, refs.uuid, fc.constantFrom('abc', '..', '%2F', 'payment-dlq'), anyText),
  body: fc.option(fc.oneof(wrongTypes, fc.constant({ all: true, confirm: true })), { nil: undefined, freq: 3 }),
});

/** What anyone gets at / (the user app's page, or the 503 saying it is not built): fetched once. */
let userPage: Promise<HttpAnswer> | undefined;

export const adminSurface: Surface<AdminInput> = {
  name: 'admin',
  weight: 6,
  inputs,
  describe(input) {
    const [method, path] = ROUTES[input.route]!;
    return `${input.method ?? method} ${path}${input.suffix} token=${input.token.kind}:${input.token.user} cookie=${input.cookie} html=${input.html} id=${JSON.stringify(input.id)?.slice(0, 80)} body=${JSON.stringify(input.body ?? ROUTES[input.route]![2])?.slice(0, 120)}`;
  },
  async send(input, world: FuzzWorld): Promise<Verdict> {
    const { fixtures } = world;
    const [routeMethod, template, routeBody] = ROUTES[input.route]!;
    const method = input.method ?? routeMethod;
    const id = String(resolveRefs(input.id, fixtures, input.token.user).value).toWellFormed();
    const user = fixtures.user(input.token.user);
    const [pathPart, query] = template.split('?');
    const path =
      pathPart!
        .replace('{payment}', encodeURIComponent(id))
        .replace('{user}', user.id)
        .replace('{id}', encodeURIComponent(id)) +
      input.suffix +
      (query ? `${input.suffix.includes('?') ? '&' : '?'}${query.replace('{user}', user.id)}` : '');
    const credentials = fixtures.credentials(input.token.kind, input.token.user);
    const headers: Record<string, string | string[]> = { accept: input.html ? 'text/html' : 'application/json' };
    if (credentials.authorization !== undefined) headers.authorization = credentials.authorization;
    const forgedOperator = fixtures.credentials('operator-alg-none', input.token.user).authorization as string;
    if (input.cookie !== 'none') {
      const value = input.cookie === 'forged' ? 'eyJhbGciOiJIUzI1NiJ9.e30.forged' : input.cookie === 'user-token' ? user.token : forgedOperator.replace(/^Bearer /, '');
      headers.cookie = `paymesh_console=${encodeURIComponent(value)}`;
    }
    const payload = input.body ?? routeBody;
    const body = payload === undefined || method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(payload);
    if (body !== undefined) headers['content-type'] = 'application/json';

    const answer = await world.gateway.send({ method, path, headers, body });
    // The same request to a path that exists nowhere: what the admin path answers must not differ from it.
    const unknown = await world.gateway.send({ method, path: `/v1/no-such-path${path.replace(/^\/(admin|console)/, '')}`, headers, body });
    const code = (text: string) => (parseJson(text) as { code?: string } | undefined)?.code;
    // A path outside every API prefix (/console;x=1, /admin%00) is the user app's to answer: its page, as at /.
    userPage ??= world.gateway.send({ method: 'GET', path: '/', headers: { accept: 'text/html' } });
    const page = await userPage;
    const isUserPage = answer.status === page.status && (method === 'HEAD' ? Number(answer.headers['content-length']) === Buffer.byteLength(page.body) : answer.body === page.body);
    const same = isUserPage || (answer.status === unknown.status && code(answer.body) === code(unknown.body));
    const leaks = fixtures.privacy.leaks(credentials.caller, `${path} ${body ?? ''}`, answer.body);
    return {
      outcome: String(answer.status),
      problems: [
        ...rule(answer.status >= 500, '5xx', () => `${method} ${path} → ${answer.status} ${answer.body.slice(0, 200)}`),
        ...rule(answer.status < 500 && !same, 'admin surface visible to a non-operator', () => `${method} ${path} as ${input.token.kind}:${input.token.user} (cookie ${input.cookie}) → ${answer.status} ${code(answer.body)}, an unknown path → ${unknown.status} ${code(unknown.body)}`),
        ...rule(!isUserPage && answer.status < 500 && answer.status !== 404 && answer.status !== 400 && answer.status !== 431, 'admin surface visible to a non-operator', () => `${method} ${path} → ${answer.status} ${answer.body.slice(0, 200)}`),
        ...rule(leaks.length > 0, "another user's data", () => `${method} ${path} showed ${leaks.join(', ')}`),
      ],
    };
  },
};
