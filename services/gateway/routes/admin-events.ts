import {
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  ListReplaysCommand,
  ListRulesCommand,
  StartReplayCommand,
  type DescribeReplayCommandOutput,
} from '@aws-sdk/client-eventbridge';
import type { FastifyInstance } from 'fastify';
import type { ReplayView } from '../../../contracts/admin-api.ts';
import { failedPrecondition, invalidArgument, notFound } from '../../../contracts/errors.ts';
import { EVENT_BUS_NAME } from '../../../contracts/events.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { archiveNameOf } from '../../../messaging/topology.ts';
import { recordOperatorAction } from './admin-audit-trail.ts';
import type { AdminDeps } from './admin-deps.ts';
import { operatorOf } from './admin-scope.ts';

const REPLAY_PREFIX = 'paymesh-';
const iso = (date: Date | undefined) => (date ? date.toISOString() : null);

export function replayView(replay: Pick<DescribeReplayCommandOutput, 'ReplayName' | 'State' | 'StateReason' | 'EventStartTime' | 'EventEndTime' | 'ReplayStartTime' | 'ReplayEndTime' | 'EventLastReplayedTime'>): ReplayView {
  const from = replay.EventStartTime?.getTime() ?? 0;
  const to = replay.EventEndTime?.getTime() ?? 0;
  const last = replay.EventLastReplayedTime?.getTime();
  const progress = replay.State === 'COMPLETED' ? 1 : last && to > from ? Math.min(1, Math.max(0, (last - from) / (to - from))) : 0;
  return {
    name: replay.ReplayName ?? '',
    state: replay.State ?? 'UNKNOWN',
    reason: replay.StateReason ?? null,
    from: iso(replay.EventStartTime) ?? '',
    to: iso(replay.EventEndTime) ?? '',
    started_at: iso(replay.ReplayStartTime),
    ended_at: iso(replay.ReplayEndTime),
    last_replayed_at: iso(replay.EventLastReplayedTime),
    progress: Math.round(progress * 1000) / 1000,
  };
}

/**
 * Replays of the bus's archive for operators (EventBridge StartReplay, on AWS
 * as on the embedded broker): `POST /admin/events/replays` `{from, to, rules?}`
 * (audited) sends every archived event of that window to the bus's rules again
 * (consumers are idempotent: what they already handled is dropped), or only
 * to the named rules; `GET /admin/events/replays[/{name}]` follows them.
 */
export function eventRoutes(plain: FastifyInstance, admin: AdminDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  const describe = async (name: string) => {
    try {
      return replayView(await admin.eventBridge.send(new DescribeReplayCommand({ ReplayName: name })));
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') throw notFound('REPLAY_NOT_FOUND', `no replay ${name}`);
      throw err;
    }
  };

  app.post(
    '/admin/events/replays',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            rules: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 20 },
          },
        },
      },
    },
    async (request, reply) => {
      const operator = operatorOf(request);
      const body = request.body;
      const from = new Date(body.from);
      const to = new Date(body.to);
      if (Number.isNaN(from.getTime())) throw invalidArgument('INVALID_TIME', 'from must be a date and time (ISO 8601)', 'from');
      if (Number.isNaN(to.getTime())) throw invalidArgument('INVALID_TIME', 'to must be a date and time (ISO 8601)', 'to');
      if (from >= to) throw invalidArgument('INVALID_WINDOW', 'from must be before to', 'from');
      let filterArns: string[] | undefined;
      if (body.rules && body.rules.length > 0) {
        const { Rules = [] } = await admin.eventBridge.send(new ListRulesCommand({ EventBusName: EVENT_BUS_NAME, Limit: 100 }));
        const unknown = body.rules.filter((name) => !Rules.some((r) => r.Name === name));
        if (unknown.length > 0) throw invalidArgument('UNKNOWN_RULE', `no rule ${unknown.join(', ')} on ${EVENT_BUS_NAME}`, 'rules');
        filterArns = Rules.filter((r) => body.rules!.includes(r.Name!)).map((r) => r.Arn!);
      }
      const archiveName = archiveNameOf({ bus: EVENT_BUS_NAME });
      const archive = await admin.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: archiveName })).catch((err: Error) => {
        if (err.name !== 'ResourceNotFoundException') throw err;
        throw failedPrecondition('NO_ARCHIVE', `${EVENT_BUS_NAME} has no archive ${archiveName} to replay from: create it with \`paymesh topology apply\``);
      });
      const bus = await admin.eventBridge.send(new DescribeEventBusCommand({ Name: EVENT_BUS_NAME }));
      const name = `${REPLAY_PREFIX}${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      await recordOperatorAction(admin.events, operator, 'events.replay', archive.ArchiveName ?? 'archive', { from: from.toISOString(), to: to.toISOString(), rules: body.rules ?? [], replay: name });
      await admin.eventBridge.send(
        new StartReplayCommand({
          ReplayName: name,
          Description: `requested by operator ${operator.userId}`,
          EventSourceArn: archive.ArchiveArn,
          EventStartTime: from,
          EventEndTime: to,
          Destination: { Arn: bus.Arn, ...(filterArns ? { FilterArns: filterArns } : {}) },
        }),
      );
      return reply.code(202).send(await describe(name));
    },
  );

  app.get('/admin/events/replays', { schema: { hide: true } }, async () => {
    const { Replays = [] } = await admin.eventBridge.send(new ListReplaysCommand({ NamePrefix: REPLAY_PREFIX, Limit: 50 }));
    return { replays: Replays.map(replayView).sort((a, b) => (b.started_at ?? '').localeCompare(a.started_at ?? '')) };
  });

  app.get('/admin/events/replays/:name', { schema: { hide: true, params: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[.\\-_A-Za-z0-9]{1,64}$' } } } } }, async (request) =>
    describe(request.params.name),
  );
}
