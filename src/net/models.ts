import { EventModel } from './event-model.js';
import { ForkModel } from './fork-model.js';
import { LoopModel } from './loop-model.js';
import { PreforkModel } from './prefork-model.js';
import { ThreadModel } from './thread-model.js';
import type { ConcurrencyModel, ModelName, ModelSpec, NetErrorReporter } from './types.js';

/** The model names, in the order docs/models.md presents them. */
export const MODEL_NAMES: readonly ModelName[] = ['loop', 'event', 'fork', 'prefork', 'thread'];

/** Makes the concurrency model that `spec` names (the strategy object a NetServer serves with). */
export function createModel(spec: ModelSpec, report: NetErrorReporter): ConcurrencyModel {
  switch (spec.kind) {
    case 'loop':
      return new LoopModel(report);
    case 'event':
      return new EventModel(report);
    case 'fork':
      return new ForkModel({ maxChildren: spec.maxChildren ?? 40 }, report);
    case 'prefork':
      return new PreforkModel({ workers: spec.workers ?? 2 }, report);
    case 'thread':
      return new ThreadModel({ workers: spec.workers ?? 2 }, report);
  }
}

/** The ModelSpec for a model name and a worker count (processes or threads; for fork, children at once). */
export function modelSpec(model: ModelName, workers: number): ModelSpec {
  if (model === 'fork') return { kind: 'fork', maxChildren: workers };
  if (model === 'prefork' || model === 'thread') return { kind: model, workers };
  return { kind: model };
}
