/**
 * Hourly prices of instance types, which the lowest-price allocation strategies of mixed instances
 * groups compare. faultline has no price list: this is a model fitted to AWS's published Linux
 * On-Demand prices in us-east-1, close for the general purpose, compute and memory families
 * (m5.large $0.096, c5.large $0.085, r5.large $0.126) and exact for T3 ($0.0104 per GiB), the
 * same in every region. Spot runs at a steady 30 % of On-Demand (AWS's savings are "up to 90 %";
 * its Spot prices move slowly, and here they do not move at all).
 */
import { instanceType } from '../ec2/instance-types.ts';

const PER_VCPU = 0.0335;
const PER_GIB = 0.0037;
const BURSTABLE_PER_GIB = 0.0104;
const SPOT_SHARE = 0.3;

/** USD per hour; Infinity for a type faultline does not know, so that it sorts last. */
export function onDemandPrice(type: string): number {
  const t = instanceType(type);
  if (!t) return Infinity;
  const gib = t.memoryMiB / 1024;
  return t.burstable ? BURSTABLE_PER_GIB * gib : PER_VCPU * t.vcpus + PER_GIB * gib;
}

export const spotPrice = (type: string): number => onDemandPrice(type) * SPOT_SHARE;

/** A price as EC2 writes one: dollars with up to six decimals. */
export const priceString = (usd: number): string => String(Math.round(usd * 1e6) / 1e6);
