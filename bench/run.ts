/**
 * `npm run bench [-- --quick]`: measures PayMesh on this machine and writes
 * the figures to bench/results/latest.md. Figures live here, never in tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchBroker } from './broker.ts';
import { benchWallet } from './wallet.ts';

export interface BenchRow {
  name: string;
  value: string;
  note?: string;
}

const quick = process.argv.includes('--quick');
const rows: BenchRow[] = [];
rows.push(...(await benchWallet({ quick })));
rows.push(...(await benchBroker({ quick })));

const header = `# PayMesh benchmark\n\n${new Date().toISOString()} · ${os.cpus().length} cores · Node ${process.version} · ${quick ? 'quick' : 'full'} run\n`;
const table = ['| measure | value | note |', '|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.note ?? ''} |`)].join('\n');
const report = `${header}\n${table}\n`;
console.log(report);
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'latest.md'), report);
