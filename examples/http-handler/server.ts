import { parseArgs } from 'node:util';
import { handlerModule, type ModelName, NetServer } from 'tandem/net';

// Serves hello-handler.ts:
// node --import tsx examples/http-handler/server.ts [--port 8000] [--model event] [--workers N]
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8000' },
    model: { type: 'string', default: 'event' },
    workers: { type: 'string' },
  },
});
const model = {
  kind: values.model as ModelName,
  workers: values.workers === undefined ? undefined : Number(values.workers),
};
const hello = handlerModule<typeof import('./hello-handler.js')>(
  new URL('./hello-handler.js', import.meta.url),
);

const server = new NetServer({
  transport: { kind: 'tcp', host: values.host, port: Number(values.port) },
  model,
  handler: hello.with(),
});
const address = await server.listen();
console.log(`Serving hello-handler at http://${address.host}:${address.port}/ (model ${model.kind})`);
// Ctrl-C or SIGTERM: connections in flight finish, then the process exits.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
