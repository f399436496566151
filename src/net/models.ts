import { errors } from '../errors/catalogue.js';
import { EventModel } from './event-model.js';
import { ForkModel } from './fork-model.js';
import { LoopModel } from './loop-model.js';
import { PoolModel } from './pool-model.js';
import type { ConcurrencyModel, ModelName, ModelSpec, NetErrorReporter } from './types.js';

/** The model names, in the order docs/models.md presents them. */
export const MODEL_NAMES: readonly ModelName[] = ['loop', 'event', 'fork', 'prefork', 'thread'];

/**
 * Makes the concurrency model that `spec` names (the strategy object a NetServer serves with). Throws a usage
 * error for a worker count that is not a positive integer.
 */
export function createModel(spec: ModelSpec, report: NetErrorReporter): ConcurrencyModel {
  switch (spec.kind) {
    case 'loop':
      return new LoopModel(report);
    case 'event':
      return new EventModel(report);
    case 'fork':
      return new ForkModel({ workers: workerCount(spec, 40) }, report);
    case 'prefork':
    case 'thread':
      return new PoolModel(spec.kind, { workers: workerCount(spec, 2) }, report);
  }
}

function workerCount(spec: ModelSpec, fallback: number): number {
  const workers = spec.workers ?? fallback;
  if (!Number.isInteger(workers) || workers < 1) {
    throw errors.CLI_USAGE(`${spec.kind} model: workers must be a positive integer, got ${workers}`);
  }
  return workers;
}
