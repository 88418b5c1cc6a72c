/**
 * DescribeParameters and GetParametersByPath: the account's parameters (or, under `/aws/`, the
 * public ones) filtered by ParameterFilters (Name, Path, Type, KeyId, Tier, DataType, Label,
 * `tag:KEY`, each with the options AWS allows) or the older Filters, sorted by name, paged.
 */
import { pageOf } from '../../core/paging.ts';
import type { RequestContext } from '../service.ts';
import { ssmErrors } from './errors.ts';
import { checkName, isAwsName } from './names.ts';
import { publicParameters } from './public.ts';
import { publicParameter, versionView, type ParameterView } from './read.ts';
import { PARAMETERS, latest, parameterArn, type ParameterRecord, type VersionRecord } from './state.ts';
import type { DeepReadonly } from '../../core/store.ts';

interface StringFilter {
  Key: string;
  Option?: string;
  Values?: string[];
}

type Rec = DeepReadonly<ParameterRecord>;

const OPTIONS: Record<string, string[]> = {
  Name: ['Equals', 'BeginsWith', 'Contains'],
  Path: ['OneLevel', 'Recursive'],
  Label: ['Equals'],
  Type: ['Equals', 'BeginsWith'],
  KeyId: ['Equals', 'BeginsWith'],
  Tier: ['Equals', 'BeginsWith'],
  DataType: ['Equals', 'BeginsWith'],
  tag: ['Equals', 'BeginsWith'],
};
const DESCRIBE_KEYS = ['Name', 'Path', 'Type', 'KeyId', 'Tier', 'DataType'];
const BY_PATH_KEYS = ['Type', 'KeyId', 'Label', 'DataType'];

/** A name's place in the hierarchy: plain names sit at the root. */
const asPath = (name: string) => (name.startsWith('/') ? name : `/${name}`);

/** Whether `name` lies under `path`: its direct child, or any descendant when recursive. */
function under(name: string, path: string, recursive: boolean): boolean {
  const p = path === '/' ? '/' : `${path.replace(/\/+$/, '')}/`;
  const n = asPath(name);
  if (!n.startsWith(p) || n.length === p.length) return false;
  return recursive || !n.slice(p.length).includes('/');
}

function checkFilters(filters: readonly StringFilter[], keys: string[]): void {
  for (const f of filters) {
    const base = f.Key.startsWith('tag:') ? 'tag' : f.Key;
    if (base !== 'tag' && !keys.includes(base)) throw ssmErrors.filterKey(`The following filter key is not valid: ${f.Key}. Valid filter keys include: [${[...keys, 'tag'].join(', ')}].`);
    const valid = OPTIONS[base];
    if (f.Option !== undefined && !valid.includes(f.Option)) throw ssmErrors.filterOption(`The following filter option is not valid: ${f.Option}. Valid options include: [${valid.join(', ')}].`);
    if (base !== 'tag' && !f.Values?.length) throw ssmErrors.filterValue(`The following filter values are missing : null for filter key ${f.Key}.`);
    if (base === 'Path') for (const v of f.Values!) if (!v.startsWith('/')) throw ssmErrors.filterValue(`The following filter value is not valid: ${v}. Valid values must begin with "/".`);
  }
}

const test = (option: string | undefined, actual: string | undefined, values: readonly string[]) =>
  actual !== undefined && values.some((v) => (option === 'BeginsWith' ? actual.startsWith(v) : option === 'Contains' ? actual.includes(v) : actual === v));

/** Whether a parameter (as of version `v`) passes one filter. */
function passes(rec: Rec, v: DeepReadonly<VersionRecord>, f: StringFilter): boolean {
  const values = f.Values ?? [];
  if (f.Key.startsWith('tag:')) {
    const tag = rec.tags.find((t) => t.Key === f.Key.slice(4));
    return !!tag && (values.length === 0 || test(f.Option, tag.Value, values));
  }
  switch (f.Key) {
    case 'Name':
      return test(f.Option, rec.Name, values) || test(f.Option, asPath(rec.Name), values.map(asPath));
    case 'Path':
      return values.some((p) => under(rec.Name, p, f.Option === 'Recursive'));
    case 'Label':
      return v.Labels.some((l) => values.includes(l));
    case 'Type':
      return test(f.Option, v.Type, values);
    case 'KeyId':
      return test(f.Option, v.KeyId, values);
    case 'Tier':
      return test(f.Option, v.Tier, values);
    case 'DataType':
      return test(f.Option, v.DataType, values);
    default:
      return false;
  }
}

const byName = (a: { Name: string }, b: { Name: string }) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);

export const describeHandlers = {
  DescribeParameters(
    input: { Filters?: { Key: string; Values: string[] }[]; ParameterFilters?: StringFilter[]; MaxResults?: number; NextToken?: string; Shared?: boolean },
    ctx: RequestContext,
  ) {
    if (input.Filters?.length && input.ParameterFilters?.length) throw ssmErrors.validation('You can use either Filters or ParameterFilters in a single request.');
    // The older Filters: Name, Type and KeyId, each matching any of its values (Name as a prefix).
    const filters: StringFilter[] = input.ParameterFilters ?? (input.Filters ?? []).map((f) => ({ Key: f.Key, Option: f.Key === 'Name' ? 'BeginsWith' : 'Equals', Values: f.Values }));
    checkFilters(filters, DESCRIBE_KEYS);
    const recs = ctx.env.store.list<ParameterRecord>(PARAMETERS, ctx).filter((r) => filters.every((f) => passes(r, latest(r), f)));
    const all = [...recs].sort(byName).map((r) => {
      const v = latest(r);
      return {
        Name: r.Name,
        ARN: parameterArn(ctx.region, ctx.account, r.Name),
        Type: v.Type,
        KeyId: v.KeyId,
        LastModifiedDate: new Date(v.LastModifiedDate),
        LastModifiedUser: v.LastModifiedUser,
        Description: v.Description,
        AllowedPattern: v.AllowedPattern,
        Version: v.Version,
        Tier: v.Tier,
        Policies: [],
        DataType: v.DataType,
      };
    });
    const page = pageOf(all, input.NextToken, input.MaxResults ?? 50, ssmErrors.invalidNextToken);
    return { Parameters: page.items, NextToken: page.next };
  },

  GetParametersByPath(input: { Path: string; Recursive?: boolean; ParameterFilters?: StringFilter[]; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }, ctx: RequestContext) {
    const path = input.Path;
    if (!path.startsWith('/')) throw ssmErrors.validation('The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/".');
    if (path !== '/') checkName(path.replace(/\/+$/, ''));
    const filters = input.ParameterFilters ?? [];
    checkFilters(filters, BY_PATH_KEYS);
    const recursive = input.Recursive ?? false;
    let all: ParameterView[];
    if (isAwsName(path)) {
      const names = publicParameters(ctx.env.config, ctx.region).filter((p) => under(p.Name, path, recursive));
      all = names.map((p) => publicParameter(ctx.env, ctx.region, p.Name)!).filter((p) => filters.every((f) => f.Key === 'Type' || f.Key === 'DataType' ? test(f.Option, f.Key === 'Type' ? p.Type : p.DataType, f.Values ?? []) : false));
    } else {
      const label = filters.find((f) => f.Key === 'Label');
      all = [];
      for (const r of ctx.env.store.list<ParameterRecord>(PARAMETERS, ctx).filter((x) => under(x.Name, path, recursive)).sort(byName)) {
        // With a Label filter, the labelled version is the one returned.
        const v = label ? r.versions.find((x) => x.Labels.some((l) => label.Values!.includes(l))) : latest(r);
        if (v && filters.every((f) => passes(r, v, f))) all.push(versionView(ctx, r.Name, v, input.WithDecryption));
      }
    }
    const page = pageOf(all, input.NextToken, input.MaxResults ?? 10, ssmErrors.invalidNextToken);
    return { Parameters: page.items, NextToken: page.next };
  },
};
