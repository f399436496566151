import { httpEngineSuite } from './http-engine.case.js';
import { HTTP_ENGINES } from './serve-http.js';

// Issue 14: one conformance suite, run for every engine serveHttp offers.
for (const engine of HTTP_ENGINES) httpEngineSuite(engine);
