import { type Agent, request } from 'node:http';

/** A response as node's http client saw it. */
export interface AgentResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One GET (or a request with `body`) through `agent` (node's http client, keep-alive when the agent is);
 * `onSent` runs once the whole request has been written to the socket.
 */
export function agentRequest(
  agent: Agent,
  url: string,
  options: { method?: string; body?: string; onSent?: () => void } = {},
): Promise<AgentResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: options.method ?? 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('finish', () => options.onSent?.());
    req.end(options.body);
  });
}
