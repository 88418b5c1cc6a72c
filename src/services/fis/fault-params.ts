/**
 * What the actions that inject world faults share: their `duration` parameter and its length,
 * the healing of every fault an action injected (its end, or its rollback when the
 * experiment stops or fails), and FIS's other common parameters.
 */
import { healFault, splitList } from '../../world/faults.ts';
import type { ActionRun, ParameterSpec } from './action.ts';
import { parseDuration } from '../../core/duration.ts';
import { durationBetween } from './duration.ts';
import { zoneNamed } from '../ec2/regions.provider.ts';

type Parameters = Readonly<Record<string, string>>;

/** A `duration` parameter from `minText` (`PT1M`, or `PT1S` where FIS allows it) to PT12H. */
export function durationParameter(required: boolean, minMs: number, minText: string): ParameterSpec {
  const stays = required ? '' : '; without it the fault stays until healed';
  return { description: `How long the fault lasts (ISO 8601 duration, ${minText} to PT12H)${stays}.`, required, check: durationBetween(minMs, minText) };
}

export const durationOf = (p: Parameters) => (p.duration === undefined ? undefined : parseDuration(p.duration));

export function healAll(run: ActionRun): void {
  for (const id of (run.data.faultIds as string[] | undefined) ?? []) healFault(run.env, id);
}

export const percentage: ParameterSpec = {
  description: 'The percentage of calls that fail (1 to 100; default 100).',
  required: false,
  check: (v) => (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100 ? undefined : `must be a whole number from 1 to 100, not ${v}`),
};

/** `percentage` as a fault's rate, in (0, 1]. */
export const rateOf = (p: Parameters) => (p.percentage === undefined ? 1 : Number(p.percentage) / 100);

export const zoneIdentifiers: ParameterSpec = {
  description: 'The Availability Zones, separated by commas, by name (us-east-1a) or AZ ID (use1-az1).',
  required: true,
  check: (v, { env, scope }) => {
    const unknown = splitList(v).filter((z) => !zoneNamed(env.config, scope.region, z));
    return unknown.length ? `names no Availability Zone of ${scope.region}: ${unknown.join(', ')}` : undefined;
  },
};

/** The zones of `availabilityZoneIdentifiers`, as names (checked at create, so each names a zone). */
export const zonesOf = (run: ActionRun) => splitList(run.parameters.availabilityZoneIdentifiers).map((z) => zoneNamed(run.env.config, run.scope.region, z)!);

/** The resource ids at the end of the action's target ARNs (`.../subnet-1`, `...:autoScalingGroupName/web`). */
export const targetIds = (run: ActionRun) => run.targets.map((arn) => arn.slice(arn.lastIndexOf('/') + 1));
