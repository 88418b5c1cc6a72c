/**
 * TestDNSAnswer (spec route53.md §5): what the zone's name servers would answer, from the zone's
 * served record sets, without a DNS query: answer.ts answers it, confined to the zone.
 */
import { isIP } from 'node:net';
import type { Handler } from '../service.ts';
import { answer } from './answer.ts';
import { r53Errors } from './errors.ts';
import { requireZone } from './lookups.ts';

interface TestDnsInput {
  HostedZoneId: string;
  RecordName: string;
  RecordType: string;
  ResolverIP?: string;
  EDNS0ClientSubnetIP?: string;
  EDNS0ClientSubnetMask?: string;
}

export const testDnsHandlers: Record<string, Handler> = {
  TestDNSAnswer(input: TestDnsInput, ctx) {
    const z = requireZone(ctx, input.HostedZoneId);
    const id = z.Id;
    // Undocumented error; the spec suggests InvalidInput.
    if (z.Config?.PrivateZone) throw r53Errors.invalidInput(`TestDNSAnswer does not support private hosted zones: ${id}`);
    for (const ip of [input.ResolverIP, input.EDNS0ClientSubnetIP]) if (ip !== undefined && !isIP(ip)) throw r53Errors.invalidInput(`Invalid IP address: ${ip}`);
    if (input.EDNS0ClientSubnetMask !== undefined) {
      const max = input.EDNS0ClientSubnetIP && isIP(input.EDNS0ClientSubnetIP) === 6 ? 128 : 32;
      const mask = Number(input.EDNS0ClientSubnetMask);
      if (!input.EDNS0ClientSubnetIP) throw r53Errors.invalidInput('EDNS0ClientSubnetMask requires EDNS0ClientSubnetIP');
      if (!Number.isInteger(mask) || mask < 0 || mask > max) throw r53Errors.invalidInput(`Invalid EDNS0ClientSubnetMask: ${input.EDNS0ClientSubnetMask} (0 to ${max})`);
    }
    const a = answer(ctx.env, {
      name: input.RecordName,
      type: input.RecordType,
      zone: { account: ctx.account, id },
      clientIp: input.EDNS0ClientSubnetIP ?? input.ResolverIP,
    });
    return {
      Nameserver: z.nameServers[0] ?? 'ns-0.awsdns-00.com',
      RecordName: input.RecordName,
      RecordType: input.RecordType,
      RecordData: a.answers.map((r) => r.value),
      ResponseCode: a.rcode,
      Protocol: 'UDP',
    };
  },
};
