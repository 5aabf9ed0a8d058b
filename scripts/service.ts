/** `npm run service -- <name>`: runs one PayMesh service in the foreground, under the same supervisor. */
import { availableServices } from './services.ts';

const [name] = process.argv.slice(2);
if (!name || !availableServices().some((s) => s.name === name)) {
  console.error(`usage: npm run service -- <${availableServices().map((s) => s.name).join('|')}>`);
  process.exit(2);
}
await import('./start.ts');
