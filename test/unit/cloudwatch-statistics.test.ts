import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addTo,
  bucketOf,
  emptyAgg,
  formatVals,
  parseVals,
  percentile,
  percentileSignificant,
  periodsIn,
  roundStart,
  statistic,
  validAlarmPeriod,
  validQueryPeriod,
} from '../../src/services/cloudwatch/statistics.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);

describe('CloudWatch statistics', () => {
  it('computes the basic statistics of merged sets', () => {
    const agg = emptyAgg();
    addTo(agg, { n: 2, sum: 10, min: 4, max: 6, vals: [[4, 1], [6, 1]] });
    addTo(agg, { n: 1, sum: 1, min: 1, max: 1, vals: [[1, 1]] });
    assert.equal(statistic(agg, 'SampleCount'), 3);
    assert.equal(statistic(agg, 'Sum'), 11);
    assert.equal(statistic(agg, 'Average'), 11 / 3);
    assert.equal(statistic(agg, 'Minimum'), 1);
    assert.equal(statistic(agg, 'Maximum'), 6);
    assert.equal(statistic(emptyAgg(), 'Sum'), undefined);
  });

  it('computes nearest-rank percentiles over weighted values', () => {
    const values: [number, number][] = Array.from({ length: 100 }, (_, i) => [i + 1, 1]);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 99.5), 100);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile(values, 0), 1);
    // 9 samples of 1 and one of 100: p90 is 1, p91 is 100.
    assert.equal(percentile([[100, 1], [1, 9]], 90), 1);
    assert.equal(percentile([[100, 1], [1, 9]], 91), 100);
  });

  it('has no percentile for data that came as a statistic set with a spread', () => {
    const agg = emptyAgg();
    addTo(agg, { n: 10, sum: 50, min: 1, max: 9, vals: null });
    addTo(agg, { n: 1, sum: 3, min: 3, max: 3, vals: [[3, 1]] });
    assert.equal(statistic(agg, 'p50'), undefined);
    assert.equal(statistic(agg, 'Maximum'), 9);
  });

  it('round-trips stored raw values', () => {
    const pairs: [number, number][] = [[1.5, 1], [-2, 3], [1e-7, 2]];
    assert.deepEqual(parseVals(formatVals(pairs)), pairs);
    assert.equal(parseVals(null), null);
  });

  it('judges percentile significance by sample count', () => {
    assert.equal(percentileSignificant('p99', 99), false);
    assert.equal(percentileSignificant('p99', 100), true);
    assert.equal(percentileSignificant('p90', 10), true);
    assert.equal(percentileSignificant('p10', 9), false);
    assert.equal(percentileSignificant('p100', 1), true);
  });

  it('accepts the documented periods', () => {
    assert.deepEqual([1, 5, 10, 30, 60, 120, 7, 45, 90].map(validQueryPeriod), [true, true, true, true, true, true, false, false, false]);
    assert.deepEqual([10, 20, 30, 60, 300, 1, 5, 45, 90].map(validAlarmPeriod), [true, true, true, true, true, false, false, false, false]);
  });

  it('rounds StartTime down by age: minute, 5 minutes, hour', () => {
    const recent = NOW - 3 * 3_600_000 + 34_567;
    assert.equal(roundStart(recent, NOW), NOW - 3 * 3_600_000);
    const old = NOW - 20 * DAY + 7 * MIN + 1000;
    assert.equal(roundStart(old, NOW), NOW - 20 * DAY + 5 * MIN);
    const older = NOW - 70 * DAY + 37 * MIN;
    assert.equal(roundStart(older, NOW), NOW - 70 * DAY);
  });

  it('aligns periods to the start and counts them for the 1,440-points limit', () => {
    const start = NOW;
    assert.equal(bucketOf(NOW + 299_999, start, 300_000), NOW);
    assert.equal(bucketOf(NOW + 300_000, start, 300_000), NOW + 300_000);
    assert.equal(periodsIn(NOW, NOW + DAY, 60), 1440);
    assert.equal(periodsIn(NOW, NOW + DAY + 1, 60), 1441);
  });
});
