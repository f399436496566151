import { defineUrls } from 'tandem/webframe';
import { datetime, form, hello, hi, upload } from './views.js';

/**
 * The demo site's routes, in the seed's style: `[path, view]` pairs; `hi` without a slash means `/hi`.
 * defineUrls checks each view's params against its pattern and each method map's keys.
 */
export default defineUrls([
  ['/datetime', datetime],
  ['hi', hi],
  ['/form', { POST: form }],
  ['/api/hello/:name', { GET: hello }],
  ['/upload', { POST: upload }],
]);
