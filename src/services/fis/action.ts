/**
 * What an FIS action is to the engine. Adding an action is one entry in the catalogue
 * (catalogue.ts): its id and description, the target it takes, its parameters with their checks,
 * and how it starts, ends (when its duration is over, or early as the rollback of a stop) and
 * completes. Everything runs inside a loop step, on the clock; nothing waits.
 */
import type { Scope } from '../../core/store.ts';
import type { Env } from '../service.ts';

export interface ParameterSpec {
  description: string;
  required: boolean;
  /** Returns what is wrong with a value, if anything ("must be ..."); `where` is the template's account and region. */
  check?: (value: string, where: { env: Env; scope: Scope }) => string | undefined;
}

/** One run of an action in an experiment. */
export interface ActionRun {
  env: Env;
  scope: Scope;
  experimentId: string;
  /** The action's name in the template. */
  action: string;
  /** The ARNs its target resolved to; empty for an action without a target. */
  targets: readonly string[];
  parameters: Readonly<Record<string, string>>;
  /** What `start` returned. */
  data: Record<string, unknown>;
}

/** An action that cannot go on; the experiment fails with this code (ExperimentError.code). */
export class ActionFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ActionSpec {
  id: string;
  description: string;
  /** The key in the action's `targets` and the resource type it must name (`arnsOnly`: named by resourceArns only); none for actions without a target. */
  target?: { key: string; resourceType: string; arnsOnly?: boolean };
  parameters: Record<string, ParameterSpec>;
  /** How long the action lasts once started (ms), from its parameters; undefined: until `done`. */
  duration?(parameters: Readonly<Record<string, string>>): number | undefined;
  /** Does the action's work; returns what its end needs. Throws ActionFailed (or an AWS error) to fail. */
  start(run: ActionRun): Record<string, unknown> | void;
  /** Ends what `start` began, when the duration is over or when the experiment stops early. Only for actions with a duration. */
  end?(run: ActionRun): void;
  /** Whether the action has completed; a number: look again after that many ms. Without it, an action completes at once. */
  done?(run: ActionRun): true | number;
}
