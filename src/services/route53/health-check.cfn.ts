/**
 * CloudFormation's AWS::Route53::HealthCheck (CFN/aws-resource-route53-healthcheck.html), through
 * the Route 53 operations: `HealthCheckConfig` as CreateHealthCheck takes it, with a caller
 * reference made from the stack and logical id; a change updates the check in place (settings
 * the API can't change fail the update with its error). `HealthCheckTags` are kept on the check.
 * `Ref` and `Fn::GetAtt HealthCheckId` give its id.
 */
import { AwsError } from '../../core/errors.ts';
import { callService } from '../../cloudformation/call-service.ts';
import { attribute, deleteWithRetry } from '../../cloudformation/handler-kit.ts';
import type { Props, ResourceContext, ResourceHandler } from '../../cloudformation/resource-handler.ts';
import { RESETTABLE, UPDATABLE } from './health-check.config.ts';
import { route53 } from './index.ts';
import { changeTags } from './route53.cfn.ts';
import { healthCheck } from './state.ts';

const call = (rc: ResourceContext, op: string, input: Record<string, unknown>) => callService(route53, op, input, rc.request);

const configOf = (props: Props): Record<string, unknown> => (props.HealthCheckConfig ?? {}) as Record<string, unknown>;

const healthCheckResource: ResourceHandler = {
  type: 'AWS::Route53::HealthCheck',
  create(props, rc) {
    const out = call(rc, 'CreateHealthCheck', { CallerReference: `${rc.stackId.slice(-36)}-${rc.logicalId}`.slice(-64), HealthCheckConfig: configOf(props) });
    const id = out.HealthCheck.Id as string;
    changeTags(rc, 'healthcheck', id, undefined, props.HealthCheckTags);
    return { physicalId: id };
  },
  update(props, old, _changed, rc) {
    const config = configOf(props);
    // An update sends every setting UpdateHealthCheck takes, and resets the optional ones the template dropped.
    const input: Record<string, unknown> = { HealthCheckId: old.physicalId };
    for (const k of UPDATABLE) if (config[k] !== undefined) input[k] = config[k];
    const reset = RESETTABLE.filter((k) => config[k] === undefined && configOf(old.props)[k] !== undefined);
    if (reset.length) input.ResetElements = reset;
    for (const k of ['Type', 'RequestInterval', 'MeasureLatency']) {
      if (JSON.stringify(config[k]) !== JSON.stringify(configOf(old.props)[k])) throw new AwsError('InvalidInput', `${k} of a health check can't be changed after it is created.`, 400);
    }
    call(rc, 'UpdateHealthCheck', input);
    changeTags(rc, 'healthcheck', old.physicalId, old.props.HealthCheckTags, props.HealthCheckTags);
  },
  delete: (s, rc) =>
    deleteWithRetry(s, rc.env.clock.now(), () => {
      if (healthCheck(rc.env.store, rc.request.account, s.physicalId)) call(rc, 'DeleteHealthCheck', { HealthCheckId: s.physicalId });
    }),
  getAtt: (s, name) => attribute({ HealthCheckId: (id: string) => id }, name, s.physicalId),
};

export const route53HealthCheckResources: ResourceHandler[] = [healthCheckResource];
