import type { Command } from 'commander';
import { loadTopology, TOPOLOGY_PATH } from '../../../contracts/topology.ts';
import { createEventBridgeClient, createSqsClient, messagingConfigFromEnv } from '../../../messaging/aws.ts';
import { applyTopology, archiveNameOf } from '../../../messaging/topology.ts';
import { outputOf } from '../context.ts';
import { CliError, line, printJson } from '../output.ts';

export function topologyCommand(program: Command): void {
  const topology = program.command('topology').description('the queues, dead-letter queues, event bus, rules and archive of contracts/topology.json');

  topology
    .command('apply')
    .description(
      'creates or updates them through the AWS SDK: on the embedded broker (PAYMESH_BROKER_URL, default http://127.0.0.1:9324) or on AWS (AWS_REGION and its credential chain); safe to run again',
    )
    .option('--file <path>', 'the topology file', TOPOLOGY_PATH)
    .action(async (options: { file: string }, command: Command) => {
      let declared;
      try {
        declared = loadTopology(options.file);
      } catch (err) {
        throw new CliError(`the topology file ${options.file} cannot be used: ${(err as Error).message}`);
      }
      const messaging = messagingConfigFromEnv();
      const target = messaging.endpoint ? `${messaging.embedded ? 'the embedded broker' : 'the endpoint'} at ${messaging.endpoint}` : `AWS ${messaging.region}`;
      const sqs = createSqsClient(messaging);
      const eventBridge = createEventBridgeClient(messaging);
      try {
        await applyTopology(sqs, eventBridge, declared);
      } catch (err) {
        throw new CliError(`applying the topology to ${target} failed: ${(err as Error).name}: ${(err as Error).message}`);
      } finally {
        sqs.destroy();
        eventBridge.destroy();
      }
      const queues = [...declared.queues.flatMap((q) => [q.name, q.deadLetter.name]), declared.eventTargets.deadLetterQueue];
      const summary = { target, bus: declared.bus, archive: archiveNameOf(declared), queues, rules: declared.rules.map((r) => r.name) };
      if (outputOf(command).json) return printJson(summary);
      line(`applied to ${target}:`);
      line(`  bus      ${summary.bus} (archive ${summary.archive})`);
      line(`  queues   ${queues.join(', ')}`);
      line(`  rules    ${summary.rules.join(', ')}`);
    });
}
