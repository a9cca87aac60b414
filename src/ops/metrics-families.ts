/**
 * Gauges and counters whose figures are read from the live objects at scrape time.
 * Each scrape starts from an empty family and sets one sample per object that exists
 * now, so the series of an object that has gone disappear with it: nothing to forget,
 * no labels that grow without bound.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Adds one sample to the family being collected. */
export type Emit<L extends string> = (labels: Record<L, string>, value: number) => void;

export interface FamilySpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Called at each scrape: emits the current value of every series. */
  read: (emit: Emit<L>) => void;
}

/** A gauge of the objects alive at scrape time. */
export function liveGauge<L extends string>(registry: Registry, spec: FamilySpec<L>): Gauge<L> {
  const gauge: Gauge<L> = new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      gauge.reset();
      spec.read((labels, value) => gauge.set(labels, value));
    },
  });
  return gauge;
}

/**
 * A counter kept by the object it counts (bytes sent, packets received): its value is
 * set from the object at scrape time. The series ends with the object; Prometheus reads
 * a series that comes back (a new object) as a counter reset, as it should.
 */
export function liveCounter<L extends string>(registry: Registry, spec: FamilySpec<L>): Counter<L> {
  const counter: Counter<L> = new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      counter.reset();
      // A counter never goes down; a figure that did (it should not) is shown as 0.
      spec.read((labels, value) => counter.inc(labels, Number.isFinite(value) && value > 0 ? value : 0));
    },
  });
  return counter;
}
