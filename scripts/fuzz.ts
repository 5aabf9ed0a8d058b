/**
 * `npm run fuzz [-- --seed N] [-- --minutes M] [-- --quick] [-- --replay rest#1234]`:
 * throws hostile inputs at every surface of a platform it starts itself, then
 * checks nothing broke (test/fuzz/). Prints the seed first, the counts by
 * surface and outcome and every finding with its reproduction last, and
 * exits 1 on any finding (2 on bad arguments).
 */
import { runCampaign } from '../test/fuzz/campaign.ts';
import { parseFuzzArgs, type FuzzOptions } from '../test/fuzz/options.ts';

let options: FuzzOptions;
try {
  options = parseFuzzArgs(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const result = await runCampaign(options);
console.log(result.report);
process.exitCode = result.tally.findings > 0 ? 1 : 0;
