/**
 * Route 53: hosted zones and record sets, health checks that probe on the clock, and the answers
 * faultline's DNS server gives from them (answer.ts). restXml, global, signed as `route53`.
 */
import { models } from '../../models/index.ts';
import { RestXmlProtocol } from '../../protocols/rest-xml.ts';
import type { Service } from '../service.ts';
import { zonesHandlers } from './zones.provider.ts';
import { recordsHandlers } from './records.provider.ts';
import { healthChecksHandlers } from './health-checks.provider.ts';
import { testDnsHandlers } from './test-dns.provider.ts';
import { changeLoops } from './changes.loop.ts';
import { healthCheckLoops } from './health-check.loop.ts';

export const route53: Service = {
  signingName: 'route53',
  model: models.route53,
  protocols: [new RestXmlProtocol({ xmlNamespace: 'https://route53.amazonaws.com/doc/2013-04-01/', inputErrorCode: 'InvalidInput' })],
  global: true,
  handlers: { ...zonesHandlers, ...recordsHandlers, ...healthChecksHandlers, ...testDnsHandlers },
  loops: (env) => ({ ...changeLoops(env), ...healthCheckLoops(env) }),
};
