/**
 * The actions faultline runs: one entry each. ListActions and GetAction answer from this list,
 * template validation checks against it, and the engine runs what it says. An action id not
 * here is refused with a ValidationException that names it.
 */
import type { ActionSpec } from './action.ts';
import { apiActions } from './api.actions.ts';
import { assertAlarmState, wait } from './control.actions.ts';
import { rebootInstances, sendSpotInstanceInterruptions, stopInstances, terminateInstances } from './ec2.actions.ts';
import { disruptConnectivity, pauseVolumeIo } from './network-storage.actions.ts';
import { rebootDbInstances } from './rds.actions.ts';
import { worldActions } from './world.actions.ts';

export const ACTIONS: readonly ActionSpec[] = [
  stopInstances,
  terminateInstances,
  rebootInstances,
  sendSpotInstanceInterruptions,
  rebootDbInstances,
  ...apiActions,
  disruptConnectivity,
  pauseVolumeIo,
  wait,
  assertAlarmState,
  ...worldActions,
];

export const actionSpec = (id: string): ActionSpec | undefined => ACTIONS.find((a) => a.id === id);
