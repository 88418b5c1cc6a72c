/**
 * The one HTTP endpoint. Each request is read (within a size limit), routed to a service and a
 * protocol, parsed against the model, handed to the operation's handler inside one store
 * transaction, and answered in the service's wire format. Any error becomes an AWS-style error;
 * an unexpected one becomes InternalFailure and leaves the state as it was.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AwsError, errors } from '../core/errors.ts';
import { requestId as newRequestId } from '../core/ids.ts';
import type { Protocol, WireRequest, WireResponse } from '../protocols/protocol.ts';
import type { Env, Service } from '../services/service.ts';
import { principalFor } from '../services/iam/identity.ts';
import { route } from './route.ts';
import { outputProblems } from '../protocols/shape-check.ts';
import { CONTROL_PREFIX, MOTO_RESET_PATH, controlError, handleControl, handleMotoReset } from './control.ts';
import { EVENT_STREAM_PATH, streamEvents } from './event-stream.ts';
import { carriesToken } from './control-token.ts';
import { CONSOLE_PATH } from './console.ts';
import { hostName, refusal } from './guard.ts';
import { handleWaitConditionSignal, isSignalPath } from '../services/cloudformation/signals.ts';
import { refuseUnserved } from './unserved.ts';
import { apiFault } from '../world/faults.ts';
import { regionZones } from '../config.ts';
import { prepareAccountRegion } from '../services/ec2/default-vpc.ts';
import { own } from '../core/own.ts';
import { Clock } from '../core/clock.ts';
import { since, type RequestEntry, type RequestLog } from './request-log.ts';
import { requireStackMember, unsignedInstanceCaller, type InstanceOrigin } from './instance-callers.ts';

export interface Gateway {
  server: Server;
  /** `origin` is set for a request on a connection from a sandboxed instance. */
  handle(req: WireRequest, origin?: InstanceOrigin): WireResponse;
  /** Answers a request that was refused before it could be parsed, in its service's format. */
  refuse(req: WireRequest, error: AwsError): WireResponse;
  /** Serves a connection from a sandboxed instance: the AWS API and wait condition handles, never the control API. */
  acceptFromInstance(socket: Socket, origin: InstanceOrigin): void;
  /** Where each request is logged, when the log is on. */
  requestLog?: RequestLog;
}

export function createGateway(env: Env, services: readonly Service[], log: (m: string) => void, requestLog?: RequestLog): Gateway {
  const handle = (wire: WireRequest, origin?: InstanceOrigin): WireResponse => {
    if (!requestLog) return answer(wire, origin, {});
    const started = Clock.wallNow();
    const entry: Partial<RequestEntry> = {};
    const res = answer(wire, origin, entry);
    requestLog({ time: new Date(env.clock.now()).toISOString(), method: wire.method, path: wire.path, status: res.status, ms: since(started), ...entry });
    return res;
  };
  /** Answers one AWS API request, noting in `entry` what the request log says of it. */
  const answer = (wire: WireRequest, origin: InstanceOrigin | undefined, entry: Partial<RequestEntry>): WireResponse => {
    const requestId = newRequestId();
    entry.requestId = requestId;
    const r = route(wire, services);
    if (!r) return { status: 404, headers: {}, body: 'no service' };
    if ('unserved' in r) return refuseUnserved(r.unserved, wire, r.hints, services, requestId);
    const { service, protocol } = r;
    entry.service = service.signingName;
    try {
      const parsed = protocol.parse(wire, service.model);
      entry.operation = parsed.operation;
      const handler = own(service.handlers, parsed.operation);
      if (!handler) throw errors.invalidAction(parsed.operation);
      // An unsigned call from an instance acts as that instance (its helper scripts' calls), is
      // anonymous (S3) or is refused.
      const fromInstance = origin && !r.accessKeyId ? unsignedInstanceCaller(env, origin, service.signingName, parsed.operation) : undefined;
      const principal = fromInstance?.principal ?? principalFor(env, r.accessKeyId);
      // The region the request was signed for; a global service's records live in the 'global' scope.
      const signedRegion = r.region ?? fromInstance?.scope.region ?? env.config.defaultRegion;
      const region = service.global ? 'global' : signedRegion;
      // After the caller is known: a fault may be for some roles' sessions only.
      const injected = apiFault(env, service.signingName, parsed.operation, principal, signedRegion);
      if (injected) throw new AwsError(injected.code, injected.message, injected.status, false);
      if (!service.global && !regionZones(env.config, region)) {
        throw new AwsError('AuthFailure', `The region ${region} is not offered by this faultline; it offers ${Object.keys(env.config.regions).join(', ')}.`, 401);
      }
      entry.account = principal.account;
      entry.region = region;
      if (!service.global) prepareAccountRegion(env, principal.account, region);
      const ctx = { account: principal.account, region, requestId, principal, env };
      const output = env.store.transaction(() => {
        if (fromInstance) requireStackMember(ctx, fromInstance, parsed.operation, (parsed.input as { StackName?: unknown }).StackName);
        const out = handler(parsed.input, ctx);
        if (env.config.checkResponseShapes) {
          const problems = outputProblems(service.model, parsed.operation, out);
          if (problems.length) throw new Error(`the output does not fit the model:\n  ${problems.slice(0, 20).join('\n  ')}`);
        }
        return out;
      });
      return protocol.serialize(service.model, parsed.operation, output, requestId, wire);
    } catch (e) {
      entry.error = e instanceof AwsError ? e.code : 'InternalFailure';
      return renderError(service, protocol, e, requestId, wire, log);
    }
  };

  const refuse = (wire: WireRequest, error: AwsError): WireResponse => {
    const r = route(wire, services);
    if (!r) return { status: error.status, headers: {}, body: error.message };
    if ('unserved' in r) return refuseUnserved(r.unserved, wire, r.hints, services, newRequestId());
    return r.protocol.serializeError(r.service.model, error, newRequestId(), wire);
  };

  // Connections from instances, told apart by the socket itself: nothing an instance sends can forge it.
  const fromInstances = new WeakMap<Socket, InstanceOrigin>();
  const acceptFromInstance = (socket: Socket, origin: InstanceOrigin) => {
    fromInstances.set(socket, origin);
    gateway.server.emit('connection', socket);
  };
  const gateway: Gateway = {
    server: createServer((req, res) => void serve(env, gateway, fromInstances.get(req.socket), req, res, log)),
    handle,
    refuse,
    acceptFromInstance,
    requestLog,
  };
  gateway.server.keepAliveTimeout = 60_000;
  return gateway;
}

function renderError(service: Service, protocol: Protocol, e: unknown, requestId: string, wire: WireRequest, log: (m: string) => void): WireResponse {
  let err: AwsError;
  if (e instanceof AwsError) err = e;
  else {
    log(`faultline: internal error in ${service.signingName} request ${requestId}: ${(e as Error)?.stack ?? e}`);
    err = errors.internal();
  }
  return protocol.serializeError(service.model, err, requestId, wire);
}

async function serve(env: Env, gateway: Gateway, fromInstance: InstanceOrigin | undefined, req: IncomingMessage, res: ServerResponse, log: (m: string) => void) {
  try {
    const url = requestUrl(req);
    const control = url.pathname.startsWith(CONTROL_PREFIX) || url.pathname === MOTO_RESET_PATH;
    const refused = refusal(req.headers, { control, listenName: env.endpoint && hostName(env.endpoint.replace(/^\w+:\/\//, '')) });
    if (refused) {
      if (control) return send(res, controlError(refused.status, refused.message));
      return send(res, gateway.refuse(toWire(req, url, Buffer.alloc(0)), new AwsError('AccessDenied', refused.message, refused.status)));
    }
    if (control) {
      // Instances reach the AWS API and their wait condition handles here, never the control API.
      if (fromInstance) return send(res, controlError(403, 'the control API does not answer sandboxed instances'));
      const token = env.config.controlToken;
      // The console's own files hold no data and load before the page can read its token.
      const consoleFile = req.method === 'GET' && (url.pathname === CONSOLE_PATH || url.pathname.startsWith(CONSOLE_PATH + '/'));
      if (token && !consoleFile && !carriesToken(token, req.headers['x-faultline-token'], url)) {
        return send(res, controlError(401, 'this faultline listens beyond loopback: the control API needs the token `faultline up` printed, in the x-faultline-token header (faultline commands send FAULTLINE_TOKEN)'));
      }
      if (req.method === 'GET' && url.pathname === EVENT_STREAM_PATH) return streamEvents(env, url, req, res);
      const body = await readBody(req, env.config.maxRequestBytes);
      if (url.pathname === MOTO_RESET_PATH) return send(res, handleMotoReset(env, req.method ?? 'GET'));
      const started = Clock.wallNow();
      const answer = handleControl(env, req.method ?? 'GET', url, req.headers['content-type'], body);
      gateway.requestLog?.({ time: new Date(env.clock.now()).toISOString(), method: req.method ?? 'GET', path: url.pathname, status: answer.status, ms: since(started), control: true });
      return send(res, answer);
    }
    if (isSignalPath(url.pathname)) return send(res, handleWaitConditionSignal(env, req.method ?? 'GET', url, await readBody(req, env.config.maxRequestBytes)));
    const isUpload = req.method === 'PUT';
    const limit = isUpload ? env.config.maxObjectBytes : env.config.maxRequestBytes;
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (e) {
      if (e instanceof TooLarge) {
        res.setHeader('connection', 'close');
        return send(res, gateway.refuse(toWire(req, url, Buffer.alloc(0)), errors.tooLarge(limit)));
      }
      throw e;
    }
    send(res, gateway.handle(toWire(req, url, body), fromInstance));
  } catch (e) {
    // A control request or wait condition signal over the size limit (the AWS API's is answered above).
    if (e instanceof TooLarge) {
      res.setHeader('connection', 'close');
      return send(res, controlError(413, `the body must be at most ${env.config.maxRequestBytes} bytes`));
    }
    log(`faultline: request failed: ${(e as Error)?.stack ?? e}`);
    if (!res.headersSent) send(res, { status: 500, headers: {}, body: '' });
  }
}

/**
 * The request's URL. A target in origin form is a path even when it starts with `//`, which URL
 * parsing against a base would read as a host name (and `//` alone as an invalid URL). A target
 * that does not parse at all becomes a path of its own text, for the service to refuse.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
  } catch {
    return new URL(`http://localhost/${encodeURIComponent(target)}`);
  }
}

export function toWire(req: IncomingMessage, url: URL, body: Buffer): WireRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  // The path as sent: URL parsing would resolve `.`/`..` segments and backslashes, which are
  // ordinary characters in S3 keys.
  const target = req.url ?? '/';
  let rawPath = target.startsWith('/') ? target.split('?')[0] : url.pathname;
  const bucket = virtualHostBucket(headers['host'] ?? '');
  if (bucket) rawPath = `/${bucket}${rawPath === '/' ? '' : rawPath}`;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    path = rawPath;
  }
  return { method: req.method ?? 'GET', path, rawPath, query: url.searchParams, headers, body };
}

/** `bucket.s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com` and `bucket.localhost`. */
export function virtualHostBucket(host: string): string | undefined {
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const m = /^(.+?)\.(s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com|s3\.amazonaws\.com|localhost)$/.exec(name);
  return m ? m[1] : undefined;
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(new TooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: WireResponse): void {
  // A HEAD answer has no body but gives the length of the one a GET would return (S3 HeadObject).
  const declared = res.req?.method === 'HEAD' ? r.headers['content-length'] : undefined;
  res.writeHead(r.status, { ...r.headers, 'content-length': declared ?? Buffer.byteLength(r.body) });
  res.end(r.body);
}
