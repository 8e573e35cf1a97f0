import { describe, expect, it } from 'vitest';
import { rateForUtilization, simulate, type ServiceProfile } from './capacity-model.js';

/** Erlang C: the mean wait in an M/M/c queue, in the unit of `meanService`. */
function erlangCWait(c: number, lambda: number, meanService: number): number {
  const a = lambda * meanService; // offered load
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const last = term * a / c; // a^c / c!
  const p = (last * c / (c - a)) / (sum + last * c / (c - a));
  return p * meanService / (c - a);
}

/** Exponential samples with mean `m`, from a fixed sequence (a profile like a benchmark's, but known). */
function exponential(n: number, m: number): number[] {
  return Array.from({ length: n }, (_, i) => -Math.log(1 - (i + 0.5) / n) * m);
}

describe('the capacity model', () => {
  const profile: ServiceProfile = { serviceMs: exponential(20_000, 100), delayMs: [0], slots: 1 };

  it('matches Erlang C for an M/M/c queue (4 slots, 75 % busy)', () => {
    const rate = rateForUtilization(profile, 4, 0.75);
    expect(rate).toBeCloseTo(30, 2);
    const p = simulate({ profile, nodes: 4, rate, requests: 400_000 });
    const expected = erlangCWait(4, rate / 1000, 100);
    expect(p.waitMs).toBeGreaterThan(expected * 0.95);
    expect(p.waitMs).toBeLessThan(expected * 1.05);
    expect(p.utilization).toBeGreaterThan(0.73);
    expect(p.utilization).toBeLessThan(0.77);
    expect(p.throughput).toBeGreaterThan(29);
    expect(p.throughput).toBeLessThan(31);
  });

  it('adds the delay outside the slots to every latency, and flags a rate the slots cannot serve', () => {
    const idle = simulate({ profile: { serviceMs: [50], delayMs: [20], slots: 2 }, nodes: 1, rate: 0.1, requests: 2_000 });
    expect(idle.latencyMs.p99).toBeCloseTo(70, 5);
    expect(simulate({ profile, nodes: 2, rate: 25, requests: 20_000 }).saturated).toBe(true);
  });

  it('scales: 100 nodes at the same utilization wait far less than 2 (pooling)', () => {
    const small = simulate({ profile, nodes: 2, rate: rateForUtilization(profile, 2, 0.8), requests: 200_000 });
    const large = simulate({ profile, nodes: 100, rate: rateForUtilization(profile, 100, 0.8), requests: 400_000 });
    expect(large.throughput / small.throughput).toBeGreaterThan(45);
    expect(large.waitMs).toBeLessThan(small.waitMs / 10);
  });
});
