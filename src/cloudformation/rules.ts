/**
 * Template Rules: each rule's optional RuleCondition and its Assertions, evaluated with the
 * rule functions against the parameter values before anything is created or updated. A false
 * assertion refuses the call (CreateStack, UpdateStack, CreateChangeSet) with its
 * AssertDescription, as CloudFormation does; ValidateTemplate, which has no values, checks only
 * the section's shape.
 */
import { errors } from '../core/errors.ts';
import { type EvalContext, PSEUDO, pseudo } from './intrinsics.ts';
import { awsTypeOf } from './parameters.ts';
import type { Template } from './template.ts';

/** What the rule functions read from the account: AWS-specific parameter types and their attributes. */
export interface RuleLookups {
  /** Every value of an AWS-specific parameter type that exists in the account and region (Fn::RefAll). */
  all(type: string): string[];
  /**
   * An attribute of the resource an AWS-specific value names (Fn::ValueOf): undefined when the
   * resource does not exist, null when it lacks the attribute (a tag it does not have).
   */
  attribute(type: string, id: string, attribute: string): string | null | undefined;
}

/** The attributes Fn::ValueOf and Fn::ValueOfAll read, per parameter type (besides `Tags.<key>`). */
const ATTRIBUTES: Record<string, string[]> = {
  'AWS::EC2::VPC::Id': ['DefaultNetworkAcl', 'DefaultSecurityGroup'],
  'AWS::EC2::Subnet::Id': ['AvailabilityZone', 'VpcId'],
  'AWS::EC2::SecurityGroup::Id': [],
};

const FUNCTIONS = ['Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::Equals', 'Fn::If', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn', 'Fn::RefAll', 'Fn::ValueOf', 'Fn::ValueOfAll'];

type RuleValue = string | string[] | boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ruleError = (rule: string, message: string) => errors.validation(`Template error: rule ${rule}: ${message}`);

interface Rule {
  RuleCondition?: unknown;
  Assertions: { Assert: unknown; AssertDescription?: string }[];
}

/** The Rules section's shape: every rule an object with Assertions, every function a rule function. */
export function checkRulesShape(section: unknown): Record<string, Rule> {
  if (section === undefined || section === null) return {};
  if (!isObject(section)) throw errors.validation('Template format error: Rules must be an object.');
  for (const [name, rule] of Object.entries(section)) {
    if (!isObject(rule)) throw errors.validation(`Template format error: rule ${name} must be an object.`);
    const unknown = Object.keys(rule).filter((k) => k !== 'RuleCondition' && k !== 'Assertions');
    if (unknown.length) throw errors.validation(`Template format error: Invalid rule property or properties [${unknown.join(', ')}] in rule ${name}`);
    if (!Array.isArray(rule.Assertions) || !rule.Assertions.length) throw errors.validation(`Template format error: rule ${name} must contain a non-empty Assertions list.`);
    for (const a of rule.Assertions) {
      if (!isObject(a) || !('Assert' in a)) throw errors.validation(`Template format error: every Assertions member of rule ${name} must contain an Assert.`);
      const extra = Object.keys(a).filter((k) => k !== 'Assert' && k !== 'AssertDescription');
      if (extra.length) throw errors.validation(`Template format error: Invalid assertion property or properties [${extra.join(', ')}] in rule ${name}`);
      if (a.AssertDescription !== undefined && typeof a.AssertDescription !== 'string') throw errors.validation(`Template format error: AssertDescription in rule ${name} must be a string.`);
      checkFunctions(name, a.Assert);
    }
    if (rule.RuleCondition !== undefined) checkFunctions(name, rule.RuleCondition);
  }
  return section as Record<string, Rule>;
}

function checkFunctions(rule: string, expr: unknown): void {
  if (Array.isArray(expr)) return expr.forEach((e) => checkFunctions(rule, e));
  if (!isObject(expr)) return;
  for (const [k, v] of Object.entries(expr)) {
    if (k !== 'Ref' && !FUNCTIONS.includes(k)) throw errors.validation(`Template format error: ${k} is not a function that rules can use (rule ${rule}).`);
    checkFunctions(rule, v);
  }
}

/**
 * Evaluates every rule whose condition holds; throws ValidationError with the first failing
 * assertion's AssertDescription.
 */
export function checkRules(t: Template, ctx: EvalContext, lookups: RuleLookups): void {
  for (const [name, rule] of Object.entries(checkRulesShape(t.Rules))) {
    const ev = new RuleEvaluator(name, t, ctx, lookups);
    if (rule.RuleCondition !== undefined && !ev.bool(rule.RuleCondition)) continue;
    for (const a of rule.Assertions) {
      if (!ev.bool(a.Assert)) throw errors.validation(a.AssertDescription ?? `Template error: an assertion of rule ${name} failed.`);
    }
  }
}

/** The rule functions of one rule. Exported for the unit tests. */
export class RuleEvaluator {
  constructor(
    private rule: string,
    private t: Template,
    private ctx: EvalContext,
    private lookups: RuleLookups,
  ) {}

  bool(expr: unknown): boolean {
    const v = this.value(expr);
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw ruleError(this.rule, `${JSON.stringify(expr)} does not evaluate to true or false.`);
  }

  value(expr: unknown): RuleValue {
    if (typeof expr === 'string') return expr;
    if (typeof expr === 'number' || typeof expr === 'boolean') return String(expr);
    if (Array.isArray(expr)) return expr.map((e) => this.string(e));
    if (!isObject(expr) || Object.keys(expr).length !== 1) throw ruleError(this.rule, `${JSON.stringify(expr)} is not a value or a rule function.`);
    const [fn, arg] = Object.entries(expr)[0];
    switch (fn) {
      case 'Ref':
        return this.ref(arg);
      case 'Fn::Equals': {
        const [a, b] = this.args(fn, arg, 2);
        return sameValue(this.value(a), this.value(b));
      }
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) throw ruleError(this.rule, `${fn} requires a list of 2 to 10 conditions.`);
        const results = arg.map((c) => this.bool(c));
        return fn === 'Fn::And' ? results.every(Boolean) : results.some(Boolean);
      }
      case 'Fn::Not':
        return !this.bool(this.args(fn, arg, 1)[0]);
      case 'Fn::If': {
        const [cond, yes, no] = this.args(fn, arg, 3);
        if (typeof cond !== 'string') throw ruleError(this.rule, 'Fn::If requires the name of a condition first.');
        return this.value(this.ctx.condition(cond) ? yes : no);
      }
      case 'Fn::Contains': {
        const [list, s] = this.args(fn, arg, 2);
        return this.list(fn, list).includes(this.string(s));
      }
      case 'Fn::EachMemberEquals': {
        const [list, s] = this.args(fn, arg, 2);
        const want = this.string(s);
        return this.list(fn, list).every((m) => m === want);
      }
      case 'Fn::EachMemberIn': {
        const [check, match] = this.args(fn, arg, 2);
        const allowed = new Set(this.list(fn, match));
        return this.list(fn, check).every((m) => allowed.has(m));
      }
      case 'Fn::RefAll': {
        if (typeof arg !== 'string') throw ruleError(this.rule, 'Fn::RefAll requires a parameter type.');
        return this.lookups.all(this.awsType(fn, arg));
      }
      case 'Fn::ValueOf': {
        const [param, attr] = this.literalArgs(fn, arg);
        const decl = this.t.Parameters[param];
        if (!decl) throw ruleError(this.rule, `Fn::ValueOf names ${param}, which is not a parameter of the template.`);
        const type = this.awsType(fn, awsTypeOf(decl.Type) ?? decl.Type);
        const values = this.ctx.params[param];
        const read = (id: string) => this.attribute(type, id, attr, param) ?? '';
        return Array.isArray(values) ? values.map(read) : read(values);
      }
      case 'Fn::ValueOfAll': {
        const [type, attr] = this.literalArgs(fn, arg);
        this.awsType(fn, type);
        const out: string[] = [];
        for (const [param, decl] of Object.entries(this.t.Parameters)) {
          if (awsTypeOf(decl.Type) !== type) continue;
          const values = this.ctx.params[param];
          for (const id of Array.isArray(values) ? values : [values]) {
            const v = this.attribute(type, id, attr, param);
            if (v !== null) out.push(v);
          }
        }
        return out;
      }
      default:
        throw ruleError(this.rule, `${fn} is not a function that rules can use.`);
    }
  }

  private ref(arg: unknown): RuleValue {
    if (typeof arg !== 'string') throw ruleError(this.rule, 'Ref requires the name of a parameter.');
    if (arg in this.ctx.params) return this.ctx.params[arg];
    if (PSEUDO.includes(arg) && arg !== 'AWS::NoValue') {
      const v = pseudo(arg, this.ctx);
      return Array.isArray(v) ? v.map(String) : String(v);
    }
    throw errors.validation(`Template format error: Unresolved dependencies [${arg}]. Cannot reference resources in the Rules block of the template`);
  }

  private args(fn: string, arg: unknown, n: number): unknown[] {
    if (!Array.isArray(arg) || arg.length !== n) throw ruleError(this.rule, `${fn} requires a list of ${n} argument${n > 1 ? 's' : ''}.`);
    return arg;
  }

  /** Fn::ValueOf and Fn::ValueOfAll take no functions, only a name and an attribute. */
  private literalArgs(fn: string, arg: unknown): [string, string] {
    const [a, b] = this.args(fn, arg, 2);
    if (typeof a !== 'string' || typeof b !== 'string') throw ruleError(this.rule, `${fn} takes two strings and no functions.`);
    return [a, b];
  }

  private string(expr: unknown): string {
    const v = this.value(expr);
    if (typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) throw ruleError(this.rule, `${JSON.stringify(expr)} is a list where a string is required.`);
    return v;
  }

  private list(fn: string, expr: unknown): string[] {
    const v = this.value(expr);
    if (!Array.isArray(v)) throw ruleError(this.rule, `${fn} requires a list of strings.`);
    return v;
  }

  private awsType(fn: string, type: string): string {
    if (!awsTypeOf(type) || type.startsWith('List<')) throw ruleError(this.rule, `${fn} requires an AWS-specific parameter type, such as AWS::EC2::VPC::Id; ${type} is not one.`);
    return type;
  }

  private attribute(type: string, id: string, attr: string, param: string): string | null {
    const known = ATTRIBUTES[type];
    if (!known || (!known.includes(attr) && !attr.startsWith('Tags.'))) throw ruleError(this.rule, `attribute ${attr} is not supported for parameter type ${type}.`);
    const v = this.lookups.attribute(type, id, attr);
    if (v === undefined) throw errors.validation(`Parameter validation failed: parameter value ${id} for parameter name ${param} does not exist.`);
    return v;
  }
}

/** Fn::Equals in rules compares strings, and lists member by member. */
function sameValue(a: RuleValue, b: RuleValue): boolean {
  return JSON.stringify(typeof a === 'boolean' ? String(a) : a) === JSON.stringify(typeof b === 'boolean' ? String(b) : b);
}
