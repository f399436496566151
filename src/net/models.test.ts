import { conformance, type SuiteTransport } from './models.case.js';
import type { ModelSpec } from './types.js';

// Every model × transport pair that makes sense (issue 3): everything over TCP and Unix stream sockets;
// datagrams with loop, event and thread; IPv6 with the in-process models and fork (a socket handed to a child).
const streamModels: ModelSpec[] = [
  { kind: 'loop' },
  { kind: 'event' },
  { kind: 'fork', workers: 4 },
  { kind: 'prefork', workers: 2 },
  { kind: 'thread', workers: 2 },
];
const datagramModels: ModelSpec[] = [{ kind: 'loop' }, { kind: 'event' }, { kind: 'thread', workers: 2 }];

for (const model of streamModels) for (const t of ['tcp4', 'unix'] as SuiteTransport[]) conformance(model, t);
for (const model of [{ kind: 'loop' }, { kind: 'event' }, { kind: 'fork', workers: 4 }] as ModelSpec[])
  conformance(model, 'tcp6');
for (const model of datagramModels)
  for (const t of ['udp', 'unix-dgram'] as SuiteTransport[]) conformance(model, t);
