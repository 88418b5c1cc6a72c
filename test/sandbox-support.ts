/**
 * For tests of the sandbox driver: whether this host can run it (root, bubblewrap, netns), the
 * reason printed when it cannot, polling a real endpoint until it answers, and `faultline up` as
 * a child process with an instance that serves a page.
 */
import { sandboxUnsupported } from '../src/runtime/driver.ts';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { awsCli } from './clients.ts';

const runFile = promisify(execFile);

export const sandboxSkip: string | false = await (async () => {
  const why = await sandboxUnsupported();
  if (why) process.stdout.write(`# sandbox tests skipped: ${why}\n`);
  return why ?? false;
})();

/** One HTTP GET with a short timeout; undefined when nothing answers. */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * One `curl` of `http://HOST/`, with the host name resolved to `address` as a user's resolver
 * would resolve a load balancer's DNS name (curl --resolve); undefined when nothing answers.
 */
export async function curlVia(host: string, address: string): Promise<{ status: number; body: string } | undefined> {
  try {
    // 5 s: an answer, however slow on a loaded machine; no answer at all is what callers look for.
    const { stdout } = await runFile('curl', ['-s', '--max-time', '5', '--resolve', `${host}:80:${address}`, '-w', '\n%{http_code}', `http://${host}/`]);
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  } catch {
    return undefined;
  }
}

/**
 * The private IPs in the `<h1>IP</h1>` pages that `n` curls of `http://HOST/` through `address`
 * answer with, in order (what came instead, where no such page did).
 */
export async function pagesVia(host: string, address: string, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await curlVia(host, address);
    seen.push(/<h1>([\d.]+)<\/h1>/.exec(r?.body ?? '')?.[1] ?? `no page: ${r?.status} ${r?.body.slice(0, 100)}`);
  }
  return seen;
}

/**
 * User data for an instance that serves, on `port`, `hello from HOST PATH` and on a second line
 * `xff=` the X-Forwarded-For it saw (None without one). `GET /slow` answers after 3 s; `GET /die`
 * answers, then makes the server exit; `GET /hold` answers once a `GET /release` came, and
 * `GET /holding` says how many were held. `keepAlive` serves HTTP/1.1 keep-alive, as a bench's
 * load wants; otherwise each connection carries one request.
 */
export function webAppUserData({ port = 8080, keepAlive = false }: { port?: number; keepAlive?: boolean } = {}): string {
  return `#!/bin/sh
mkdir -p /var/lib/app
cat > /var/lib/app/app.py <<'EOF'
import http.server, os, socket, threading, time
released = threading.Event()
holding = [0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = '${keepAlive ? 'HTTP/1.1' : 'HTTP/1.0'}'
    def do_GET(self):
        if self.path == '/slow':
            time.sleep(3)
        if self.path == '/hold':
            holding[0] += 1
            released.wait()
        if self.path == '/release':
            released.set()
        if self.path == '/holding':
            body = '%d' % holding[0]
        else:
            body = 'hello from %s %s\\nxff=%s\\n' % (socket.gethostname(), self.path, self.headers.get('X-Forwarded-For'))
        body = body.encode()
        self.send_response(200)
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if self.path == '/die':
            os._exit(0)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('', ${port}), H).serve_forever()
EOF
nohup python3 /var/lib/app/app.py > /var/log/app.log 2>&1 &
`;
}

/** Polls `url` until `ok` holds for its answer, or fails after `timeoutMs` of real time. */
export async function waitFor(url: string, ok: (r: { status: number; body: string }) => boolean = (r) => r.status === 200, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: string } | undefined;
  while (Date.now() < deadline) {
    last = await httpGet(url, 1000);
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer as expected within ${timeoutMs} ms (last: ${last ? `${last.status} ${last.body.slice(0, 200)}` : 'no answer'})`);
}

/** Waits until `url` stops answering. */
export async function waitGone(url: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await httpGet(url, 500))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} still answers after ${timeoutMs} ms`);
}

/** A loopback port that nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts `faultline up ARGS` as a child process and resolves once it serves, with its banner. */
export async function startCli(args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'up', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Point your tools at it')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`faultline up exited ${code}: ${out}`)));
  });
  child.stdout!.resume();
  return { child, banner };
}

/**
 * Launches, through `aws` (any AWS CLI runner), an instance in a new VPC that serves `text` at
 * :8080/ from a per-boot script (so it serves again after a reboot), with a public IP; returns
 * its id. The caller moves the clock on so that it boots.
 */
export async function launchWebServer(aws: (...args: string[]) => Promise<any>, text: string): Promise<string> {
  const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId;
  const subnet = (await aws('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.0.1.0/24', '--availability-zone', 'us-east-1a')).Subnet.SubnetId;
  const sg = (await aws('ec2', 'create-security-group', '--group-name', 'web', '--description', 'web', '--vpc-id', vpc)).GroupId;
  await aws('ec2', 'authorize-security-group-ingress', '--group-id', sg, '--protocol', 'tcp', '--port', '8080', '--cidr', '0.0.0.0/0');
  const userData = `#!/bin/sh
mkdir -p /var/lib/app && echo '${text}' > /var/lib/app/index.html
printf '#!/bin/sh\\ncd /var/lib/app && nohup python3 -m http.server 8080 >/dev/null 2>&1 &\\n' > /var/lib/cloud/scripts/per-boot/app.sh
chmod +x /var/lib/cloud/scripts/per-boot/app.sh && /var/lib/cloud/scripts/per-boot/app.sh
`;
  const r = await aws('ec2', 'run-instances', '--image-id', 'ami-1ecae776', '--instance-type', 't2.micro', '--subnet-id', subnet, '--security-group-ids', sg, '--associate-public-ip-address', '--user-data', userData);
  return r.Instances[0].InstanceId;
}

/** The AWS CLI (parsed JSON output) and the manual clock of a faultline at `url`, e.g. one started by `startCli`. */
export function clientsAt(url: string) {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: url, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1' };
  return {
    aws: async (...args: string[]) => {
      const r = await awsCli(['--endpoint-url', url, '--output', 'json', ...args], env);
      if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout || '{}');
    },
    advance: (seconds: number) => fetch(`${url}/_faultline/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) }),
  };
}

/**
 * The loop devices still backed by files under `dir`, once the kernel has had up to 5 s to let
 * them go: it releases an auto-clearing loop device asynchronously after its last unmount.
 */
export async function loopsLeftUnder(dir: string, opts: { attachedOnly?: boolean } = {}): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 50; i++) {
    const { stdout } = await runFile('losetup', ['--list', '--noheadings', '--output', 'AUTOCLEAR,BACK-FILE']);
    const rows = stdout.split('\n').map((l) => /^\s*(\d)\s+(.*?)\s*$/.exec(l)).filter((m) => m !== null);
    left = rows.filter(([, autoclear, file]) => file.startsWith(`${dir}/`) && !(opts.attachedOnly && autoclear === '1')).map(([, , file]) => file);
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return left;
}

/**
 * Steps a manual clock `step` seconds at a time until `ok` holds for what `read` returns, or fails
 * after `timeoutMs` of real time: the sandbox's processes and checks are real, so each step also
 * gives them a moment of real time.
 */
export async function advanceUntil<T>(advance: (seconds: number) => unknown, read: () => Promise<T>, ok: (x: T) => boolean, what: string, step: number, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let x = await read();
  while (!ok(x)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(x)}`);
    await advance(step);
    await new Promise((r) => setTimeout(r, 250));
    x = await read();
  }
  return x;
}
