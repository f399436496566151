import { httpEngineSuite } from './http-engine.case.js';
import { HTTP_ENGINES } from './http-engine.js';

// Issue 14: one conformance suite, run for every engine serveHttp offers.
for (const engine of HTTP_ENGINES) httpEngineSuite(engine);
