import { threadId } from 'node:worker_threads';
import { BaseHTTPRequestHandler, serveHandlerClass } from 'tandem/http';

/**
 * An example handler class: `GET /` greets (naming the process and thread that answered, to show the
 * concurrency model at work), `POST /echo` sends the request body back; anything else is 404, and any other
 * verb 501.
 */
export class HelloHandler extends BaseHTTPRequestHandler {
  GET(): void {
    if (this.path !== '/') {
      this.sendError(404, `No page at ${this.path}`);
      return;
    }
    const body = `Hello from Tandem! (pid ${process.pid}, thread ${threadId})\n`;
    this.sendResponse(200);
    this.sendHeader('Content-Type', 'text/plain; charset=utf-8');
    this.sendHeader('Content-Length', Buffer.byteLength(body));
    this.endHeaders();
    this.wfile.end(body);
  }

  // The server leaves the body out of a reply to HEAD, so HEAD is GET here.
  HEAD(): void {
    this.GET();
  }

  async POST(): Promise<void> {
    if (this.path !== '/echo') {
      this.sendError(404, `No page at ${this.path}`);
      return;
    }
    const body = await this.readBody(64 * 1024);
    this.sendResponse(200);
    this.sendHeader('Content-Type', this.headers['content-type'] ?? 'application/octet-stream');
    this.sendHeader('Content-Length', body.length);
    this.endHeaders();
    this.wfile.end(body);
  }
}

/** The handler-module factory every concurrency model can load (server.ts names it with handlerModule). */
export default serveHandlerClass(HelloHandler);
