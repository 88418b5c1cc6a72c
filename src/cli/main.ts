/**
 * The `faultline` command. `faultline up` runs the endpoint; the other commands talk to a running
 * faultline through its control API.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createApp } from '../app.ts';
import { parsePublicIpPool, parseRegions, type Config } from '../config.ts';
import { removeStale } from '../runtime/cleanup.ts';
import { sandboxUnsupported, type DriverName } from '../runtime/driver.ts';
import { drill, DRILL_USAGE } from './drill.ts';
import { fisCommand } from './fis.ts';
import { controlCall, controlEndpoint } from './control.ts';
import { eventsCommand, EVENTS_USAGE } from './events.ts';
import { renderStatus, type World } from './status.ts';
import { requestLog, type LogFormat, type LogLevel } from '../gateway/request-log.ts';
import { controlToken } from '../gateway/control-token.ts';

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, not ${v}`);
  return n;
}

/** Needs no root, and is neither 53 nor mDNS's 5353: next to the API's 4566. */
const DEFAULT_DNS_PORT = 4553;

/** Each command's help: `faultline help COMMAND` and `faultline COMMAND --help` print it. */
const COMMANDS: Record<string, string> = {
  up: `up        run the AWS endpoint
              --port N          (default 4566)
              --host ADDR       (default 127.0.0.1)
              --data-dir DIR    (default ./.faultline)
              --time-scale N    cloud seconds per real second (default 1)
              --clock manual    only POST /_faultline/clock/advance moves time
              --regions SPEC    the regions offered (default: every commercial region), e.g.
                                "us-east-1;eu-west-1" (their AZs) or "us-east-1=a,b,c;eu-west-1=a,b"
              --no-default-vpc  accounts have no default VPC (run-instances without a subnet
                                fails with VPCIdNotSpecified); by default each account finds one
                                in a region at its first use of the region
              --hosts-per-zone N, --host-capacity N   size of the simulated world (8 x 128)
              --driver NAME     sandbox (instances run as real processes; Linux, root)
                                or simulated (records only); default: sandbox where possible
              --public-ip-pool CIDR   where public and Elastic IPs come from, inside 127.0.0.0/8
                                (default: the sandbox takes a /24 of 127.100.0.0/16 that no other
                                running faultline holds, the one it had before when it is free)
              --max-instances N how many instances the sandbox driver runs at once
                                (default: from this machine's CPUs and memory)
              --dns-port N      serve DNS (UDP and TCP) on 127.0.0.1:N for hosted zones and faultline's
                                own names (default ${DEFAULT_DNS_PORT}, or a free port when another
                                faultline has it; 0 turns it off)
              --log-level LEVEL off (default), info (every AWS API request, to stderr) or
                                debug (the control API's requests too)
              --log-format FMT  text (default) or json (one JSON object a line)`,
  cleanup: `cleanup   remove what faultlines that no longer run left on this machine (network namespaces,
            cgroups, mounts under their data directories, owner records) and print it`,
  status: `status    show the clock, the active faults, and each region's zones and hosts with what runs
            on them (hosts with nothing on them are counted); --json: the control API's view`,
  advance: `advance   advance a manual clock: faultline advance SECONDS`,
  fail: `fail      inject a fault (each takes --duration SECONDS to heal by itself):
              fail host --instance i-... | --host HOST_ID [--network]
              fail az ZONE [--network]
              fail instance i-...
              fail app i-...   (its application fails load balancer health checks; EC2 status checks pass)
              fail api --service ec2 [--operation RunInstances,...] [--rate 0.5 | --percentage 50]
                       [--error Throttling|RequestLimitExceeded|InternalError|Unavailable|...] [--role ARN]...
              fail capacity --az ZONE... [--group NAME... | --role ARN...] [--instance-type TYPE...] [--percentage N]
                       launches in the zones (of the types, if given) fail with InsufficientInstanceCapacity
              fail subnet subnet-... [--scope all] [--account ID]   (cuts traffic in and out of it)
              fail volume vol-... [--account ID]   (pauses its I/O)`,
  heal: `heal      heal a fault: faultline heal FAULT_ID | --all`,
  'interrupt-spot': `interrupt-spot  interrupt a spot instance as EC2 does when it takes the capacity back:
              interrupt-spot i-... [--after SECONDS] [--reason capacity|price]
            the rebalance recommendation at once, the two-minute interruption notice (IMDS
            spot/instance-action, an "EC2 Spot Instance Interruption Warning" event) 120 seconds
            before the interruption, then the instance is terminated, stopped or hibernated as its
            spot request's InstanceInterruptionBehavior says (--after: when, default and at least 120)`,
  reset: `reset     forget every resource of every account and start the world again (the clock keeps its time)`,
  fis: `fis scenario az-power-interruption --az ZONE [--duration PT30M] [--role ARN] [--launch-role ARN]...
            print AWS FIS's "AZ Availability: Power Interruption" scenario for the zone, as the input
            of aws fis create-experiment-template --cli-input-json (--role: the experiment's role;
            --launch-role: roles whose launches in the zone fail)`,
  events: `events    print the event log: faults and every reaction to them, one a line (cloud time,
            real time, source, message)
              [--follow] [--kind KIND]... [--resource ID] [--since TIME] [--json]`,
  resolve: `resolve   print the addresses a name faultline answers for (a load balancer, a DB instance's
            endpoint, a hosted zone's record) resolves to now, one a line:
              curl http://$(faultline resolve NAME | head -1)/`,
  drill: DRILL_USAGE.replace(/^  /, '').trimEnd(),
};

const USAGE = `usage: faultline <command> [options]

commands:
${Object.values(COMMANDS).map((u) => `  ${u}`).join('\n')}

These commands reach a running faultline at $FAULTLINE_URL (default http://127.0.0.1:4566).
\`faultline help COMMAND\` or \`faultline COMMAND --help\` shows one command's help.
`;

/** The regions offered, for the banner: each with its AZ letters, or a count when they are many. */
function regionSummary(regions: Record<string, string[]>): string {
  const names = Object.keys(regions);
  if (names.length > 4) return `${names.length} (${names.slice(0, 3).join(', ')}, ...: aws ec2 describe-regions)`;
  return Object.entries(regions).map(([r, a]) => `${r} (${a.join('')})`).join(', ');
}

const usageOf = (cmd: string) => (cmd === 'events' ? EVENTS_USAGE : `usage: faultline ${COMMANDS[cmd]}\n`);

async function up(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: '.faultline' },
      'time-scale': { type: 'string' },
      clock: { type: 'string' },
      regions: { type: 'string' },
      'no-default-vpc': { type: 'boolean' },
      'hosts-per-zone': { type: 'string' },
      'host-capacity': { type: 'string' },
      driver: { type: 'string' },
      'public-ip-pool': { type: 'string' },
      'max-instances': { type: 'string' },
      'dns-port': { type: 'string' },
      'log-level': { type: 'string', default: 'off' },
      'log-format': { type: 'string', default: 'text' },
    },
  });
  const level = values['log-level'] as LogLevel;
  if (!['off', 'info', 'debug'].includes(level)) throw new Error(`--log-level takes off, info or debug, not ${level}`);
  const format = values['log-format'] as LogFormat;
  if (!['text', 'json'].includes(format)) throw new Error(`--log-format takes text or json, not ${format}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${values.port}`);
  const dnsPort = Number(values['dns-port'] ?? DEFAULT_DNS_PORT);
  if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535) throw new Error(`--dns-port must be a port number (0 to turn DNS off), not ${values['dns-port']}`);
  if (values.clock && values.clock !== 'manual') throw new Error('--clock takes only "manual"');
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale > 0)) throw new Error('--time-scale must be a positive number');
  const config: Partial<Config> = { controlToken: controlToken(values.host!, process.env.FAULTLINE_TOKEN) };
  if (values.regions) {
    config.regions = parseRegions(values.regions);
    config.defaultRegion = Object.keys(config.regions)[0];
  }
  if (values['no-default-vpc']) config.defaultVpc = false;
  if (values['hosts-per-zone']) config.hostsPerZone = positiveInt('--hosts-per-zone', values['hosts-per-zone']);
  if (values['host-capacity']) config.hostCapacity = positiveInt('--host-capacity', values['host-capacity']);
  if (values['public-ip-pool']) config.publicIpPool = parsePublicIpPool(values['public-ip-pool']);
  if (values['max-instances']) config.maxInstances = positiveInt('--max-instances', values['max-instances']);
  const dataDir = resolve(values['data-dir']!);
  if (values.driver && values.driver !== 'sandbox' && values.driver !== 'simulated') throw new Error('--driver takes sandbox or simulated');
  let driver = values.driver as DriverName | undefined;
  if (!driver) {
    const why = await sandboxUnsupported();
    driver = why ? 'simulated' : 'sandbox';
    if (why) process.stdout.write(`driver: simulated, because ${why}\n`);
  }
  const app = createApp({ dataDir, clock: values.clock === 'manual' ? 'manual' : undefined, timeScale, config, driver, dnsPort: dnsPort || undefined, dnsPortFallback: values['dns-port'] === undefined, requestLog: requestLog(level, format, (line) => process.stderr.write(line + '\n')) });
  const addr = await app.listen(port, values.host!);
  const url = `http://${addr.address}:${addr.port}`;
  const clock = app.env.clock.mode === 'manual' ? 'manual (POST /_faultline/clock/advance)' : `${app.env.clock.mode} x${app.env.clock.scale}`;
  process.stdout.write(`faultline is up on ${url}
  state:  ${dataDir}
  clock:  ${clock}
  driver: ${app.driver.name}${app.driver.capacity() ? `, room for ${app.driver.capacity()!.summary}` : ''}
  public IPs: ${app.env.config.publicIpPool}
  dns: ${app.env.dnsAddress ?? 'off (--dns-port 0)'}
  regions: ${regionSummary(app.env.config.regions)}${app.env.config.defaultVpc ? '' : ', no default VPC'}
  console: ${url}/_faultline/console/${config.controlToken ? `#token=${config.controlToken}` : ''}
${config.controlToken ? `  control token: ${config.controlToken} (the control API needs it: faultline commands send FAULTLINE_TOKEN)
` : ''}
Point your tools at it:
  export AWS_ENDPOINT_URL=${url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=${app.env.config.defaultRegion}${config.controlToken ? `
  export FAULTLINE_URL=${url} FAULTLINE_TOKEN=${config.controlToken}` : ''}
  aws ec2 describe-availability-zones      # the AWS CLI, boto3 and the SDK v3 read AWS_ENDPOINT_URL
  aws --endpoint-url ${url} ec2 describe-regions
${app.env.dnsAddress ? `  dig @${app.env.dnsAddress.replace(':', ' -p ')} www.example.com   # names in hosted zones, load balancers, instances
` : ''}  Terraform reads AWS_ENDPOINT_URL too (its provider block: see the README)
`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping faultline\n`);
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function cleanup() {
  if (process.platform !== 'linux') return void process.stdout.write('nothing to clean up: faultline makes host objects only on Linux\n');
  if (process.getuid?.() !== 0) throw new Error('cleanup needs root: it removes network namespaces, cgroups and mounts');
  const { removed, left } = await removeStale();
  for (const line of removed) process.stdout.write(`removed ${line}\n`);
  for (const line of left) process.stdout.write(`left ${line}\n`);
  if (!removed.length && !left.length) process.stdout.write('nothing to clean up\n');
}

const control = (method: 'GET' | 'POST', path: string, body?: unknown) => controlCall(controlEndpoint(), method, path, body);

async function fail(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      instance: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      network: { type: 'boolean' },
      duration: { type: 'string' },
      service: { type: 'string' },
      operation: { type: 'string' },
      rate: { type: 'string' },
      percentage: { type: 'string' },
      error: { type: 'string' },
      scope: { type: 'string' },
      account: { type: 'string' },
      role: { type: 'string', multiple: true },
      az: { type: 'string', multiple: true },
      group: { type: 'string', multiple: true },
      'instance-type': { type: 'string', multiple: true },
    },
  });
  const [kind, target] = positionals;
  const spec: Record<string, unknown> = { kind, region: values.region };
  if (values.duration) spec.durationSeconds = Number(values.duration);
  if (values.network) spec.effect = 'network';
  if (values.account) spec.account = values.account;
  if (values.scope) spec.scope = values.scope;
  if (values.percentage !== undefined) {
    const p = Number(values.percentage);
    if (!(p >= 1 && p <= 100)) throw new Error(`--percentage must be from 1 to 100, not ${values.percentage}`);
    spec.rate = p / 100;
  }
  spec.roles = values.role;
  switch (kind) {
    case 'host':
      if (values.host) spec.target = values.host;
      else if (values.instance) spec.instance = values.instance;
      else throw new Error('fail host needs --instance i-... or --host HOST_ID');
      break;
    case 'az':
    case 'instance':
    case 'app':
    case 'subnet':
    case 'volume':
      if (!target) throw new Error(`fail ${kind} needs a target`);
      spec.target = target;
      break;
    case 'api':
      spec.target = values.service ?? '*';
      spec.operation = values.operation;
      spec.errorCode = values.error;
      if (values.rate) spec.rate = Number(values.rate);
      break;
    case 'capacity':
      if (!values.az?.length) throw new Error('fail capacity needs --az ZONE (names or zone ids; repeat for more)');
      spec.target = values.az.join(',');
      spec.groups = values.group;
      spec.instanceTypes = values['instance-type'];
      break;
    default:
      throw new Error('fail what? host, az, instance, app, api, capacity, subnet or volume');
  }
  const fault = await control('POST', '/_faultline/faults', spec);
  process.stdout.write(`${fault.faultId}: ${fault.kind} ${fault.target} failed at ${new Date(fault.startedAt).toISOString()}${fault.endsAt ? `, heals at ${new Date(fault.endsAt).toISOString()}` : ''}\n`);
}

/** The arguments of a command that takes at most `max` positionals and no options but `flags`. */
function plain(cmd: string, argv: string[], max: number, flags: Record<string, { type: 'boolean' }> = {}) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: flags });
  if (positionals.length > max) throw new Error(`${cmd} takes ${max ? `at most ${max} argument${max > 1 ? 's' : ''}` : 'no arguments'}, not ${positionals.join(' ')}`);
  return { values: values as Record<string, boolean | undefined>, positionals };
}

const print = (x: unknown) => void process.stdout.write(JSON.stringify(x) + '\n');

async function run(cmd: string, rest: string[]) {
  switch (cmd) {
    case 'up':
      return up(rest);
    case 'cleanup':
      plain(cmd, rest, 0);
      return cleanup();
    case 'status': {
      const { values } = plain(cmd, rest, 0, { json: { type: 'boolean' } });
      const world = await control('GET', '/_faultline/world');
      return void process.stdout.write(values.json ? JSON.stringify(world, null, 2) + '\n' : renderStatus(world as World));
    }
    case 'fail':
      return fail(rest);
    case 'fis':
      return fisCommand(rest);
    case 'interrupt-spot': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { after: { type: 'string' }, reason: { type: 'string' } } });
      if (positionals.length !== 1) throw new Error('interrupt-spot needs one spot instance id');
      const body: Record<string, unknown> = { instance: positionals[0], reason: values.reason };
      if (values.after !== undefined) body.afterSeconds = Number(values.after);
      const i = await control('POST', '/_faultline/spot-interruptions', body);
      return void process.stdout.write(`${i.instanceId} (${i.spotInstanceRequestId}): rebalance recommendation at ${i.rebalanceRecommendationAt}, interruption notice at ${i.noticeAt}, ${i.action} at ${i.interruptionAt}\n`);
    }
    case 'heal': {
      const { values, positionals } = plain(cmd, rest, 1, { all: { type: 'boolean' } });
      if (values.all) return print(await control('POST', '/_faultline/faults/heal-all'));
      if (!positionals[0]) throw new Error('heal needs a fault id or --all');
      return print(await control('POST', `/_faultline/faults/${encodeURIComponent(positionals[0])}/heal`));
    }
    case 'reset':
      plain(cmd, rest, 0);
      return print(await control('POST', '/_faultline/reset'));
    case 'events':
      return eventsCommand(rest);
    case 'drill':
      return process.exit(await drill(rest));
    case 'resolve': {
      const [name] = plain(cmd, rest, 1).positionals;
      if (!name) throw new Error('resolve needs a DNS name');
      const { addresses } = await control('GET', `/_faultline/resolve?name=${encodeURIComponent(name)}`);
      if (!addresses.length) throw new Error(`${name} resolves to no address now`);
      return void process.stdout.write(addresses.map((a: string) => `${a}\n`).join(''));
    }
    case 'advance': {
      const [seconds] = plain(cmd, rest, 1).positionals;
      if (seconds === undefined || !Number.isFinite(Number(seconds))) throw new Error('advance needs a number of seconds');
      return print(await control('POST', '/_faultline/clock/advance', { seconds: Number(seconds) }));
    }
  }
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === undefined || cmd === '--help' || cmd === '-h') return void process.stdout.write(USAGE);
  if (cmd === 'help') {
    if (rest[0] && !COMMANDS[rest[0]]) throw new Error(`no command "${rest[0]}"; \`faultline help\` lists them`);
    return void process.stdout.write(rest[0] ? usageOf(rest[0]) : USAGE);
  }
  if (!Object.hasOwn(COMMANDS, cmd)) {
    process.stderr.write(`faultline: unknown command "${cmd}"\n${USAGE}`);
    process.exit(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(usageOf(cmd));
  try {
    await run(cmd, rest);
  } catch (e) {
    // parseArgs's own errors (an unknown option, a missing value) say what is wrong; add whose help to read.
    const code = (e as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new Error(`${(e as Error).message}\n${usageOf(cmd)}`);
    throw e;
  }
}

main().catch((e) => {
  process.stderr.write(`faultline: ${(e as Error).message}\n`);
  process.exit(1);
});
