import type { WebframeSettingsInput } from 'tandem/webframe';

/** The demo site's settings: the seed's frame port, static pages from ./static, no stacks on error pages. */
const settings: WebframeSettingsInput = {
  port: 8806,
  static: 'static',
  debug: false,
};

export default settings;
