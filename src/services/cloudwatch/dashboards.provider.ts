/**
 * Dashboards: PutDashboard, GetDashboard, ListDashboards and DeleteDashboards. A dashboard
 * belongs to the account, not to a region (its ARN has none), so every region sees the same ones.
 *
 * The body is checked as CloudWatch checks it (CloudWatch-Dashboard-Body-Structure.html): JSON,
 * an object with a `widgets` array, each widget of a known type with its required properties and
 * its position and size in range. A body that fails is refused with InvalidParameterInput, whose
 * message lists each problem with its data path, as AWS does.
 */
import { AwsError } from '../../core/errors.ts';
import type { Scope } from '../../core/store.ts';
import type { RequestContext } from '../service.ts';
import { page } from './tokens.ts';

const DASHBOARDS = 'cloudwatch.dashboards';

interface DashboardRecord {
  DashboardName: string;
  DashboardArn: string;
  DashboardBody: string;
  LastModified: string;
}

const accountScope = (ctx: RequestContext): Scope => ({ account: ctx.account, region: 'global' });
const invalidInput = (message: string) => new AwsError('InvalidParameterInput', message, 400);
const notFound = (message: string) => new AwsError('ResourceNotFound', message, 404);

type Problem = { dataPath: string; message: string };

const WIDGET_TYPES = ['metric', 'text', 'log', 'alarm', 'explorer', 'custom'];
/** Properties each widget type must have. */
const REQUIRED: Record<string, string[]> = {
  metric: ['region'],
  text: ['markdown'],
  log: ['query', 'region'],
  alarm: ['alarms'],
  explorer: ['metrics'],
  custom: ['endpoint'],
};
const RANGES: Record<string, [number, number]> = { x: [0, 23], y: [0, Number.MAX_SAFE_INTEGER], width: [1, 24], height: [1, 1000] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The problems with a dashboard body; none when it is valid. */
export function checkDashboardBody(body: string): Problem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return [{ dataPath: '', message: `Invalid JSON: ${(e as Error).message}` }];
  }
  if (!isObject(doc)) return [{ dataPath: '', message: 'Should be object' }];
  if (!('widgets' in doc)) return [{ dataPath: '', message: "Should have required property 'widgets'" }];
  if (!Array.isArray(doc.widgets)) return [{ dataPath: '/widgets', message: 'Should be array' }];
  const problems: Problem[] = [];
  doc.widgets.forEach((w: unknown, i: number) => {
    const path = `/widgets/${i}`;
    if (!isObject(w)) return problems.push({ dataPath: path, message: 'Should be object' });
    if (!('type' in w)) return problems.push({ dataPath: path, message: "Should have required property 'type'" });
    if (typeof w.type !== 'string' || !WIDGET_TYPES.includes(w.type)) {
      return problems.push({ dataPath: `${path}/type`, message: `Should be equal to one of the allowed values: ${WIDGET_TYPES.join(', ')}` });
    }
    for (const [k, [lo, hi]] of Object.entries(RANGES)) {
      if (!(k in w)) continue;
      const v = w[k];
      if (typeof v !== 'number' || !Number.isInteger(v)) problems.push({ dataPath: `${path}/${k}`, message: 'Should be integer' });
      else if (v < lo) problems.push({ dataPath: `${path}/${k}`, message: `Should be >= ${lo}` });
      else if (v > hi) problems.push({ dataPath: `${path}/${k}`, message: `Should be <= ${hi}` });
    }
    if (!('properties' in w)) return problems.push({ dataPath: path, message: "Should have required property 'properties'" });
    if (!isObject(w.properties)) return problems.push({ dataPath: `${path}/properties`, message: 'Should be object' });
    for (const p of REQUIRED[w.type]) {
      if (!(p in w.properties)) problems.push({ dataPath: `${path}/properties`, message: `Should have required property '${p}'` });
    }
    if (w.type === 'metric' && !('metrics' in w.properties) && !isObject(w.properties.annotations)) {
      problems.push({ dataPath: `${path}/properties`, message: "Should have required property 'metrics'" });
    }
    if ('metrics' in w.properties && !Array.isArray(w.properties.metrics)) problems.push({ dataPath: `${path}/properties/metrics`, message: 'Should be array' });
  });
  return problems;
}

const view = (d: Readonly<DashboardRecord>) => ({ DashboardName: d.DashboardName, DashboardArn: d.DashboardArn, DashboardBody: d.DashboardBody });

export const dashboardHandlers = {
  PutDashboard(input: { DashboardName: string; DashboardBody: string }, ctx: RequestContext) {
    const name = input.DashboardName;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
      throw invalidInput('The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).');
    }
    const problems = checkDashboardBody(input.DashboardBody);
    if (problems.length) {
      const list = problems.map((p) => `{ "dataPath": ${JSON.stringify(p.dataPath)}, "message": ${JSON.stringify(p.message)} }`).join(', ');
      throw invalidInput(`The dashboard body is invalid, there are ${problems.length} validation errors: [ ${list} ]`);
    }
    const rec: DashboardRecord = {
      DashboardName: name,
      DashboardArn: `arn:aws:cloudwatch::${ctx.account}:dashboard/${name}`,
      DashboardBody: input.DashboardBody,
      LastModified: new Date(ctx.env.clock.now()).toISOString(),
    };
    ctx.env.store.put(DASHBOARDS, accountScope(ctx), name, rec);
    return { DashboardValidationMessages: [] };
  },

  GetDashboard(input: { DashboardName: string }, ctx: RequestContext) {
    const d = ctx.env.store.get<DashboardRecord>(DASHBOARDS, accountScope(ctx), input.DashboardName);
    if (!d) throw notFound(`Dashboard ${input.DashboardName} does not exist`);
    return view(d);
  },

  ListDashboards(input: { DashboardNamePrefix?: string; NextToken?: string }, ctx: RequestContext) {
    const all = (ctx.env.store.list<DashboardRecord>(DASHBOARDS, accountScope(ctx)) as Readonly<DashboardRecord>[])
      .filter((d) => input.DashboardNamePrefix === undefined || d.DashboardName.startsWith(input.DashboardNamePrefix))
      .sort((a, b) => (a.DashboardName < b.DashboardName ? -1 : 1));
    const { items, NextToken } = page(all, input.NextToken, 1000);
    return {
      DashboardEntries: items.map((d) => ({ DashboardName: d.DashboardName, DashboardArn: d.DashboardArn, LastModified: d.LastModified, Size: Buffer.byteLength(d.DashboardBody) })),
      NextToken,
    };
  },

  DeleteDashboards(input: { DashboardNames: string[] }, ctx: RequestContext) {
    const scope = accountScope(ctx);
    // If any name is wrong, nothing is deleted.
    const missing = input.DashboardNames.filter((n) => !ctx.env.store.get(DASHBOARDS, scope, n));
    if (missing.length) throw notFound(`The specified dashboard does not exist. [${missing.join(', ')}]`);
    for (const n of new Set(input.DashboardNames)) ctx.env.store.delete(DASHBOARDS, scope, n);
    return {};
  },
};
