/** The signed-in user's wallets and cards, refetched when a live event may have changed them. */
import { useCallback, useEffect, useState } from 'react';
import { ok } from '../shared/api/client.ts';
import { ApiProblem, problemMessage } from '../shared/api/problem.ts';
import type { PaymentMethod, Wallet } from '../shared/api/types.ts';
import { useLiveEvents } from '../shared/live.tsx';
import { useSession } from '../shared/session.tsx';

function useLoaded<T>(load: () => Promise<T>, refetchOnLive: boolean) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      setValue(await load());
      setError(undefined);
    } catch (err) {
      setError(problemMessage(err instanceof ApiProblem ? err : ApiProblem.network()));
    }
  }, [load]);
  useEffect(() => void reload(), [reload]);
  useLiveEvents((event) => {
    if (refetchOnLive && (event.type === 'connected' || event.notification.payment_id)) void reload();
  });
  return { value, setValue, error, reload };
}

/** Wallets change when a payment moves money in or out: refetched on every payment notification. */
export function useWallets() {
  const { api } = useSession();
  const load = useCallback(async () => (await ok(api.GET('/v1/wallets'))).wallets ?? [], [api]);
  const { value, setValue, error, reload } = useLoaded<Wallet[]>(load, true);
  const replace = useCallback((wallet: Wallet) => setValue((all) => all?.map((w) => (w.id === wallet.id ? wallet : w))), [setValue]);
  const add = useCallback((wallet: Wallet) => setValue((all) => [...(all ?? []).filter((w) => w.id !== wallet.id), wallet]), [setValue]);
  return { wallets: value, error, reload, replace, add };
}

export function usePaymentMethods() {
  const { api } = useSession();
  const load = useCallback(async () => (await ok(api.GET('/v1/payment-methods'))).payment_methods ?? [], [api]);
  const { value, setValue, error, reload } = useLoaded<PaymentMethod[]>(load, false);
  const add = useCallback((method: PaymentMethod) => setValue((all) => [...(all ?? []), method]), [setValue]);
  return { methods: value, error, reload, add };
}
