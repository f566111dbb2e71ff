import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A tiny HTTP server harness shared by the fake provider APIs: 127.0.0.1 on a
 * free port, a request log, and a fault queue that tests fill per scenario.
 */
export interface LoggedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  at: number;
  /** The request body as text (a POST's JSON), read before the handler runs; absent for a GET. */
  body?: string;
}

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string>; contentType?: string }
  | { kind: 'reset' } // headers and half a body, then the connection is destroyed
  | { kind: 'stall'; ms: number } // no response for `ms`
  | { kind: 'truncate' } // 200 with a cut-off JSON body
  | { kind: 'html' } // 200 with an HTML page
  | { kind: 'transform'; fn: (body: unknown) => unknown }; // rewrite a good JSON body

export interface FaultRule {
  fault: Fault;
  /** Only requests whose path contains this. */
  path?: string;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Skip this many matching requests first. */
  after?: number;
}

export interface JsonReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: LoggedRequest) => JsonReply;

/** The port a fake was asked to listen on is taken: the message names it; the caller says how to pick another. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(`port ${port} on ${host} is in use (another fake API still running?)`);
  }
}

/** An organization as GET /v1/organizations/me (Anthropic) describes it: the account of its keys. */
export interface FakeOrganization {
  id: string;
  name: string;
}

/** The organization of a fake that is given none: a fixed uuid, as Anthropic's ids are. */
export const DEFAULT_ORGANIZATION: FakeOrganization = { id: '0f6e2b4c-5d3a-4e1f-9a8b-7c6d5e4f3a2b', name: 'Fake Organization' };

/** The key a request presents: `Authorization: Bearer KEY` (OpenAI) or `x-api-key` (Anthropic, Aurous). */
export function presentedKey(req: LoggedRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const key = req.headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
}

export class FakeServer {
  readonly requests: LoggedRequest[] = [];
  /** The organization this fake serves (GET /v1/organizations/me, where the provider has it). */
  organization: FakeOrganization = DEFAULT_ORGANIZATION;
  private rules: Array<FaultRule & { seen: number; used: number }> = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  url = '';
  /** Added to every response (simulated network latency). */
  latencyMs = 0;
  /** Memoise good JSON replies by URL (benchmarks: keep the fake's own cost out of the measurement). */
  cacheReplies = false;
  /** Replies kept as bytes: a benchmark's fake then spends no CPU re-encoding them, which the connector would otherwise share its cores with. */
  private readonly replyCache = new Map<string, { status: number; bytes: Buffer; headers?: Record<string, string> | undefined }>();
  /** Most requests that were being served at the same time. */
  maxInFlight = 0;
  private inFlight = 0;

  constructor(private readonly handler: Handler) {}

  /** Answer one request as this fake would, without a socket (FakeOrganizations routes requests here). */
  answer(req: LoggedRequest): JsonReply {
    this.requests.push(req);
    return this.handler(req);
  }

  /** GET /v1/organizations/me: {id, name, type: "organization"} (shared/reference/field-reports.md). */
  organizationReply(): JsonReply {
    return { status: 200, body: { id: this.organization.id, name: this.organization.name, type: 'organization' } };
  }

  /** Queue a fault for upcoming requests. */
  fault(rule: FaultRule): this {
    this.rules.push({ ...rule, seen: 0, used: 0 });
    return this;
  }

  clearFaults(): void {
    this.rules = [];
  }

  count(pathPart?: string): number {
    return pathPart ? this.requests.filter((r) => r.path.includes(pathPart)).length : this.requests.length;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => this.serve(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host) : new Error(`cannot listen on ${host}:${port} (${err.code ?? err.message})`)),
      );
      server.listen(port, host, resolve);
    });
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${host}:${addr.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private takeFault(path: string): Fault | null {
    for (const r of this.rules) {
      if (r.path && !path.includes(r.path)) continue;
      r.seen += 1;
      if (r.seen <= (r.after ?? 0)) continue;
      if (r.used >= (r.times ?? 1)) continue;
      r.used += 1;
      return r.fault;
    }
    return null;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => (this.inFlight -= 1));
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.respond(req, res, Buffer.concat(chunks).toString('utf8')));
      return;
    }
    if (this.latencyMs > 0) {
      setTimeout(() => this.respond(req, res), this.latencyMs);
      return;
    }
    this.respond(req, res);
  }

  private respond(req: IncomingMessage, res: ServerResponse, requestBody?: string): void {
    const u = new URL(req.url ?? '/', 'http://fake');
    const logged: LoggedRequest = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      at: Date.now(),
      ...(requestBody === undefined ? {} : { body: requestBody }),
    };
    this.requests.push(logged);
    const fault = this.takeFault(u.pathname);
    if (fault && fault.kind !== 'transform') {
      this.applyFault(fault, res);
      return;
    }
    const cached = this.cacheReplies && !fault && requestBody === undefined ? this.replyCache.get(req.url ?? '') : undefined;
    if (cached) {
      res.writeHead(cached.status, { 'content-type': 'application/json', 'content-length': cached.bytes.byteLength, ...cached.headers });
      res.end(cached.bytes);
      return;
    }
    let reply: JsonReply;
    try {
      reply = this.handler(logged);
    } catch (err) {
      reply = { status: 500, body: { error: { message: `fake server bug: ${(err as Error).message}` } } };
    }
    let body = reply.body;
    if (fault?.kind === 'transform' && reply.status === 200) body = fault.fn(body);
    const text = JSON.stringify(body);
    if (this.cacheReplies && !fault && requestBody === undefined && reply.status === 200)
      this.replyCache.set(req.url ?? '', { status: reply.status, bytes: Buffer.from(text), headers: reply.headers });
    res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...reply.headers });
    res.end(text);
  }

  private applyFault(fault: Exclude<Fault, { kind: 'transform' }>, res: ServerResponse): void {
    switch (fault.kind) {
      case 'status': {
        const text = fault.body ?? JSON.stringify({ error: { message: `injected ${fault.status}`, type: 'server_error' } });
        res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'application/json', ...fault.headers });
        res.end(text);
        return;
      }
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
        res.write('{"object":"page","data":[');
        setTimeout(() => res.socket?.destroy(), 10);
        return;
      case 'stall': {
        const t = setTimeout(() => res.socket?.destroy(), fault.ms);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case 'truncate':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"page","data":[{"object":"bucket","start_ti');
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>');
        return;
    }
  }
}

/**
 * Several organizations behind one URL, as a provider serves them: each request goes to the fake of
 * the organization whose key it presents (each built with its own seed, data and key), and a key of
 * none of them to the first, which refuses it as its provider would. Faults queued here apply to
 * every organization; each organization's fake also logs the requests it answered.
 */
export class FakeOrganizations<F extends FakeServer> extends FakeServer {
  constructor(readonly orgs: ReadonlyArray<{ key: string; fake: F; organization?: FakeOrganization }>) {
    super((req) => this.route(req));
    if (orgs.length === 0) throw new Error('FakeOrganizations needs at least one organization');
    for (const o of orgs) if (o.organization) o.fake.organization = o.organization;
  }

  private route(req: LoggedRequest): JsonReply {
    const key = presentedKey(req);
    const org = this.orgs.find((o) => o.key === key) ?? this.orgs[0];
    return (org as { fake: F }).fake.answer(req);
  }
}
