import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addressesOf, CATALOG, catalogListener, DISCOVERY_NAMESPACE } from './catalog.ts';
import { ServiceResolver } from './resolver.ts';

const root = path.resolve(import.meta.dirname, '..');

test('every service in the catalog has an entry that exists and listeners on ports no other listener takes on one machine', () => {
  const localPorts = new Map<number, string>();
  for (const service of CATALOG) {
    assert.ok(existsSync(path.join(root, service.entry)), `${service.name}: ${service.entry}`);
    assert.ok(service.listeners.length > 0, `${service.name} listens somewhere`);
    for (const listener of service.listeners) {
      const taken = localPorts.get(listener.localPort);
      assert.equal(taken, undefined, `${service.name} ${listener.name} on ${listener.localPort}, taken by ${taken}`);
      localPorts.set(listener.localPort, `${service.name} ${listener.name}`);
    }
  }
});

test('each seed name and each address setting belongs to one listener', () => {
  const names = CATALOG.flatMap((s) => s.listeners.flatMap((l) => l.names.flatMap((n) => (n.name ? [n.name] : []))));
  const settings = CATALOG.flatMap((s) => s.listeners.flatMap((l) => l.names.flatMap((n) => (n.addressSetting ? [n.addressSetting] : []))));
  assert.equal(new Set(names).size, names.length, `names: ${names}`);
  assert.equal(new Set(settings).size, settings.length, `address settings: ${settings}`);
});

test('the resolver finds every named listener at its catalog port on one machine and at its AWS port by DNS', () => {
  const local = new ServiceResolver({});
  const dns = new ServiceResolver({ SERVICE_DISCOVERY: 'dns' });
  for (const service of CATALOG) {
    for (const listener of service.listeners) {
      for (const { name, addressSetting } of listener.names) {
        if (!name || !addressSetting || listener.awsPort === undefined) continue;
        const fqdn = `${name}.${DISCOVERY_NAMESPACE}`;
        assert.equal(local.resolve(fqdn).address, addressesOf(listener, listener.localPort)[addressSetting], fqdn);
        const scheme = listener.protocol === 'http' ? 'http://' : '';
        assert.equal(dns.resolve(fqdn).address, `${scheme}${fqdn}:${listener.awsPort}`, fqdn);
        assert.equal(new ServiceResolver({ [addressSetting]: 'http://10.0.0.9:1/' }).resolve(fqdn).address, 'http://10.0.0.9:1', `${addressSetting} wins`);
      }
    }
  }
});

test('callers are pointed at a listener by its address settings: a URL for HTTP (with its path), host:port for gRPC', () => {
  assert.deepEqual(addressesOf(catalogListener('user'), 9001), { USER_SERVICE_URL: 'http://127.0.0.1:9001', ACCOUNT_SERVICE_URL: 'http://127.0.0.1:9001' });
  assert.deepEqual(addressesOf(catalogListener('wallet'), 9002), { WALLET_SERVICE_ADDRESS: '127.0.0.1:9002' });
  assert.deepEqual(addressesOf(catalogListener('gateway', 'traces'), 9003), { PAYMESH_TRACES_URL: 'http://127.0.0.1:9003/v1/traces' });
  assert.throws(() => catalogListener('ledger'), /unknown service 'ledger'/);
});
