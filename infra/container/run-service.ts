/**
 * The image's entry point: runs one PayMesh service in this process, chosen
 * by the first argument or SERVICE, with the settings scripts/services.ts
 * gives it (e.g. PAYMENT_SERVICE_VERSION=v2 for payment-v2) unless the environment
 * already sets them. No supervisor: when the service exits, the container
 * does, and ECS replaces the task.
 */
import { pathToFileURL } from 'node:url';
import { availableServices } from '../../scripts/services.ts';

const name = process.argv[2] ?? process.env.SERVICE;
const services = availableServices();
const service = services.find((s) => s.name === name);
if (!service) {
  console.error(`${name ? `unknown service '${name}'` : 'no service named'}: pass one of ${services.map((s) => s.name).join(', ')} as the argument or SERVICE`);
  process.exit(2);
}
process.env.SERVICE = service.name;
for (const [key, value] of Object.entries(service.env ?? {})) process.env[key] ??= value;
await import(pathToFileURL(service.entry).href);
