import type { Urls } from '../../src/webframe/index.js';
import { datetime, form, hello, hi, upload } from './views.js';

/** The demo site's routes, in the seed's style: `[path, view]` pairs; `hi` without a slash means `/hi`. */
const urls: Urls = [
  ['/datetime', datetime],
  ['hi', hi],
  ['/form', { POST: form }],
  ['/api/hello/:name', { GET: hello }],
  ['/upload', { POST: upload }],
];

export default urls;
