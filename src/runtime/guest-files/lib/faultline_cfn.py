"""What faultline's CloudFormation helper scripts share: the instance metadata service, calls to
CloudFormation's Query API, and the credentials they are made with.

With no credentials given (the usual case) a call is sent unsigned: in AWS the helpers then sign
with the instance identity document, and here faultline knows the instance from its connection,
and serves DescribeStackResource and SignalResource for the stack the instance belongs to. With
--access-key/--secret-key, --credential-file or --role, calls are signed with SigV4.

Plain Python 3, no botocore: the image may have none.
"""
import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

IMDS = 'http://169.254.169.254'
API_VERSION = '2010-05-15'


class HelperError(Exception):
    """A failure the helper reports on stderr before exiting non-zero."""


def imds(path, timeout=5):
    """A path of the instance metadata service (IMDSv2 token first, then IMDSv1), or None."""
    headers = {}
    try:
        req = urllib.request.Request(IMDS + '/latest/api/token', method='PUT', headers={'X-aws-ec2-metadata-token-ttl-seconds': '300'})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            headers['X-aws-ec2-metadata-token'] = r.read().decode()
    except (urllib.error.URLError, OSError):
        pass
    try:
        with urllib.request.urlopen(urllib.request.Request(IMDS + path, headers=headers), timeout=timeout) as r:
            return r.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def instance_id():
    return imds('/latest/meta-data/instance-id')


def add_credential_options(parser):
    parser.add_argument('--access-key')
    parser.add_argument('--secret-key')
    parser.add_argument('-f', '--credential-file')
    parser.add_argument('--role')
    parser.add_argument('--http-proxy')
    parser.add_argument('--https-proxy')


def credentials(opts):
    """(access key, secret key, session token) from the options, or None to call unsigned."""
    if opts.credential_file:
        values = {}
        try:
            with open(opts.credential_file) as f:
                for line in f:
                    if '=' in line:
                        k, v = line.split('=', 1)
                        values[k.strip()] = v.strip()
        except OSError as e:
            raise HelperError('cannot read the credential file %s: %s' % (opts.credential_file, e.strerror))
        if 'AWSAccessKeyId' not in values or 'AWSSecretKey' not in values:
            raise HelperError('the credential file %s must set AWSAccessKeyId and AWSSecretKey' % opts.credential_file)
        return values['AWSAccessKeyId'], values['AWSSecretKey'], None
    if opts.role:
        doc = imds('/latest/meta-data/iam/security-credentials/' + urllib.parse.quote(opts.role))
        if doc is None:
            raise HelperError('the instance has no credentials for role %s' % opts.role)
        c = json.loads(doc)
        return c['AccessKeyId'], c['SecretAccessKey'], c.get('Token')
    if opts.access_key and opts.secret_key:
        return opts.access_key, opts.secret_key, None
    if opts.access_key or opts.secret_key:
        raise HelperError('--access-key and --secret-key go together')
    return None


def region_of(opts):
    return opts.region or os.environ.get('AWS_REGION') or os.environ.get('AWS_DEFAULT_REGION') or 'us-east-1'


def endpoint_of(opts, region):
    """--url, else the endpoint the instance's environment names (faultline's API address), else AWS's."""
    url = getattr(opts, 'url', None) or os.environ.get('AWS_ENDPOINT_URL_CLOUDFORMATION') or os.environ.get('AWS_ENDPOINT_URL')
    return (url or 'https://cloudformation.%s.amazonaws.com' % region).rstrip('/') + '/'


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(url, body, region, creds):
    """The headers that sign a form POST to `url` for CloudFormation with SigV4."""
    access, secret, token = creds
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
    parts = urllib.parse.urlsplit(url)
    headers = {'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'host': parts.netloc, 'x-amz-date': amz_date}
    if token:
        headers['x-amz-security-token'] = token
    names = sorted(headers)
    canonical = '\n'.join(['POST', parts.path or '/', '', ''.join('%s:%s\n' % (n, headers[n]) for n in names), ';'.join(names), hashlib.sha256(body).hexdigest()])
    scope = '%s/%s/cloudformation/aws4_request' % (day, region)
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _sign(_sign(_sign(_sign(('AWS4' + secret).encode(), day), region), 'cloudformation'), 'aws4_request')
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (access, scope, ';'.join(names), signature)
    del headers['host']
    return headers


def _local(tag):
    return tag.rsplit('}', 1)[-1]


def find(element, name):
    """The first descendant named `name`, whatever its XML namespace."""
    for e in element.iter():
        if _local(e.tag) == name:
            return e
    return None


def call(opts, action, params):
    """Calls CloudFormation's Query API; returns the response's XML root, or raises HelperError."""
    region = region_of(opts)
    url = endpoint_of(opts, region)
    body = urllib.parse.urlencode({'Action': action, 'Version': API_VERSION, **params}).encode()
    creds = credentials(opts)
    headers = sigv4_headers(url, body, region, creds) if creds else {'content-type': 'application/x-www-form-urlencoded; charset=utf-8'}
    req = urllib.request.Request(url, data=body, method='POST', headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return ET.fromstring(r.read())
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            root = ET.fromstring(text)
            code, message = find(root, 'Code'), find(root, 'Message')
            raise HelperError('%s: %s' % (code.text if code is not None else e.code, message.text if message is not None else ''))
        except ET.ParseError:
            raise HelperError('%s %s: %s' % (action, e.code, text.decode(errors='replace')[:500]))
    except (urllib.error.URLError, OSError) as e:
        raise HelperError('cannot reach CloudFormation at %s: %s' % (url, getattr(e, 'reason', e)))


def resource_metadata(opts, stack, resource):
    """The resource's Metadata (parsed JSON; {} when it has none), as DescribeStackResource gives it."""
    root = call(opts, 'DescribeStackResource', {'StackName': stack, 'LogicalResourceId': resource})
    meta = find(root, 'Metadata')
    if meta is None or not meta.text:
        return {}
    return json.loads(meta.text)


def fail(prog, message, code=1):
    sys.stderr.write('%s: %s\n' % (prog, message))
    sys.exit(code)
