#!/bin/bash -ex
# An offline stand-in for Jenkins: a CI-like web app on port 8080 that keeps its jobs under
# /var/lib/jenkins, as Jenkins does, so that the chapter's questions (is the job still there after
# a recovery, a replacement, an image?) have the same answers. It needs only python3.
mkdir -p /var/lib/jenkins/jobs /opt/ci-standin
cat > /opt/ci-standin/app.py <<'PY'
import http.server, json, os, re, urllib.parse
JOBS = '/var/lib/jenkins/jobs'
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body, ctype='application/json'):
        b = body.encode()
        self.send_response(code); self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        jobs = sorted(os.listdir(JOBS))
        if self.path.startswith('/api/json'):
            return self.reply(200, json.dumps({'jobs': [{'name': j} for j in jobs]}))
        self.reply(200, '<h1>Jenkins (faultline stand-in)</h1><ul>' + ''.join(f'<li>{j}</li>' for j in jobs) + '</ul>\n', 'text/html')
    def do_POST(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        name = (q.get('name') or [''])[0]
        if not self.path.startswith('/createItem') or not re.fullmatch(r'[A-Za-z0-9._-]+', name):
            return self.reply(400, json.dumps({'error': 'POST /createItem?name=JOB'}))
        os.makedirs(os.path.join(JOBS, name), exist_ok=True)
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        with open(os.path.join(JOBS, name, 'config.xml'), 'wb') as f: f.write(body or b'<project/>')
        self.reply(200, json.dumps({'created': name}))
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('', 8080), H).serve_forever()
PY
cat > /var/lib/cloud/scripts/per-boot/jenkins.sh <<'SH'
#!/bin/sh
nohup python3 /opt/ci-standin/app.py > /var/log/jenkins.log 2>&1 &
SH
chmod +x /var/lib/cloud/scripts/per-boot/jenkins.sh
/var/lib/cloud/scripts/per-boot/jenkins.sh
