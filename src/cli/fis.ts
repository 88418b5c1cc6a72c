/**
 * `faultline fis`: FIS helpers AWS's CLI has no command for. `fis scenario az-power-interruption`
 * prints the "AZ Availability: Power Interruption" scenario for a zone as
 * CreateExperimentTemplate's input (for `aws fis create-experiment-template --cli-input-json`),
 * as the control API composes it.
 */
import { parseArgs } from 'node:util';
import { controlCall, controlEndpoint } from './control.ts';

export async function fisCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      az: { type: 'string' },
      duration: { type: 'string' },
      role: { type: 'string' },
      'launch-role': { type: 'string', multiple: true },
      region: { type: 'string' },
    },
  });
  const [what, name] = positionals;
  if (what !== 'scenario' || name !== 'az-power-interruption') throw new Error('fis what? scenario az-power-interruption --az ZONE');
  if (!values.az) throw new Error('fis scenario az-power-interruption needs --az ZONE (a name or an AZ ID)');
  const q = new URLSearchParams({ az: values.az });
  if (values.duration) q.set('duration', values.duration);
  if (values.role) q.set('role', values.role);
  if (values.region) q.set('region', values.region);
  for (const r of values['launch-role'] ?? []) q.append('launchRole', r);
  process.stdout.write(JSON.stringify(await controlCall(controlEndpoint(), 'GET', `/_faultline/fis/scenarios/az-power-interruption?${q}`), null, 2) + '\n');
}
