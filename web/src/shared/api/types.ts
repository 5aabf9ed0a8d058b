/** Names for the API's shapes, read off the generated schema so they follow it. */
import type { paths } from './schema.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;

export type User = JsonOf<paths['/v1/me']['get']['responses'][200]>;
export type Wallet = NonNullable<JsonOf<paths['/v1/wallets']['get']['responses'][200]>['wallets']>[number];
export type PaymentMethod = NonNullable<JsonOf<paths['/v1/payment-methods']['get']['responses'][200]>['payment_methods']>[number];
export type Payment = JsonOf<paths['/v1/payments/{id}']['get']['responses'][200]>;
export type PaymentStatus = NonNullable<Payment['status']>;
export type Transaction = NonNullable<JsonOf<paths['/v1/transactions']['get']['responses'][200]>['transactions']>[number];
export type TransactionFilters = NonNullable<paths['/v1/transactions']['get']['parameters']['query']>;
export type Notification = NonNullable<JsonOf<paths['/v1/notifications']['get']['responses'][200]>['notifications']>[number];
