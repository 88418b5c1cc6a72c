/**
 * The JSON report (schemas/drill-report.schema.json): the drill's measured RTO and RPO in AWS
 * Resilience Hub's terms, an `AppAssessment` with no fields of faultline's own, whose
 * `compliance` entries carry measured numbers instead of Resilience Hub's estimates; beside it,
 * what Resilience Hub has no field for: the drill, both clocks, the breakdown, the timeline and
 * the probes.
 */
import type { ComplianceStatus, DisruptionType, DrillResult, Measure, PolicyTarget } from '../result.ts';
import { exitCode, figures, formatSeconds, type Figure } from './measures.ts';

export interface DisruptionCompliance {
  complianceStatus: ComplianceStatus;
  currentRtoInSecs?: number;
  currentRpoInSecs?: number;
  rtoDescription?: string;
  rpoDescription?: string;
  rtoReferenceId?: string;
  rpoReferenceId?: string;
  message?: string;
}

/** Resilience Hub's AppAssessment, the members a measured run can fill. */
export interface AppAssessment {
  assessmentArn: string;
  assessmentName: string;
  assessmentStatus: 'Success' | 'Failed';
  invoker: 'User';
  complianceStatus: ComplianceStatus;
  compliance: Partial<Record<DisruptionType, DisruptionCompliance>>;
  policy?: { policyName: string; policy: Partial<Record<DisruptionType, PolicyTarget>> };
  startTime: string;
  endTime: string;
  message?: string;
}

/** The report: the result as the runner gave it, with its exit code and its AppAssessment. */
export type DrillReport = DrillResult & { exitCode: 0 | 1 | 2; assessment: AppAssessment };

/** Resilience Hub's strings are 1 to 500 characters. */
const text = (s: string) => (s.length > 500 ? s.slice(0, 499) + '…' : s);

/** A name as Resilience Hub's names are spelled: `[A-Za-z0-9][A-Za-z0-9_-]{1,59}`. */
function resourceName(s: string): string {
  const name = s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60);
  return name.length >= 2 ? name : `drill-${name}`.slice(0, 60);
}

function description(f: Figure): string {
  const target = f.target === undefined ? 'no target set' : `target ${formatSeconds(f.target)}`;
  const measured = f.measure.seconds === undefined ? 'not measured (the service never recovered)' : formatSeconds(f.measure.seconds);
  return text(`Measured: ${f.measure.method}; ${measured}, ${target}.`);
}

function compliance(r: DrillResult): DisruptionCompliance {
  const [rto, rpo] = figures(r);
  const c: DisruptionCompliance = { complianceStatus: r.compliance };
  const secs = (m: Measure) => (m.seconds === undefined ? undefined : Math.max(0, Math.round(m.seconds)));
  if (secs(r.rto) !== undefined) c.currentRtoInSecs = secs(r.rto);
  if (secs(r.rpo) !== undefined) c.currentRpoInSecs = secs(r.rpo);
  c.rtoDescription = description(rto);
  c.rpoDescription = description(rpo);
  if (r.experiment) c.rtoReferenceId = c.rpoReferenceId = r.experiment.id;
  const why = [
    r.status === 'error' ? `the drill could not run: ${r.error ?? 'unknown error'}` : '',
    !r.survived && r.status !== 'error' ? 'the service never recovered while the drill watched, so there is no RTO' : '',
    ...[rto, rpo].filter((f) => f.verdict === 'breached' && f.measure.seconds !== undefined).map((f) => `${f.name} ${formatSeconds(f.measure.seconds)} is over the target ${formatSeconds(f.target)}`),
    r.compliance === 'MissingPolicy' ? 'the drill sets no target for this disruption type' : '',
  ].filter(Boolean);
  if (why.length) c.message = text(why.join('; '));
  return c;
}

/** The AppAssessment of one run: the type it exercised is measured, the others not applicable. */
function appAssessment(r: DrillResult): AppAssessment {
  const name = resourceName(r.drill.name);
  const id = resourceName(r.experiment?.id ?? `${r.drill.name}-${r.started.cloud.replace(/[^0-9]/g, '')}`);
  const all: Partial<Record<DisruptionType, DisruptionCompliance>> = {};
  // Resilience Hub reports the three types every policy has; Region only when a policy sets it.
  for (const type of ['Software', 'Hardware', 'AZ'] as const) all[type] = { complianceStatus: 'NotApplicable' };
  all[r.disruption] = compliance(r);
  const a: AppAssessment = {
    assessmentArn: `arn:aws:resiliencehub:${r.drill.region}:${r.drill.account}:app-assessment/${id}`,
    assessmentName: name,
    assessmentStatus: r.status === 'error' ? 'Failed' : 'Success',
    invoker: 'User',
    complianceStatus: r.compliance,
    compliance: all,
    startTime: r.started.cloud,
    endTime: r.ended.cloud,
  };
  if (r.target) a.policy = { policyName: name, policy: { [r.disruption]: r.target } };
  if (r.status === 'error') a.message = text(`The drill could not run: ${r.error ?? 'unknown error'}`);
  return a;
}

/** The JSON report of one run: the result's members (optional ones absent, never null), its exit code and its AppAssessment. */
export const jsonReport = (r: DrillResult): DrillReport => ({ ...r, exitCode: exitCode(r), assessment: appAssessment(r) });
