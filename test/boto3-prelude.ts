/**
 * The Python that boto3 test scripts share (run them with `fl.python(BOTO3_PRELUDE + code)`):
 * the control API and the clock, clients that do not retry, sessions of a role, a call's outcome as
 * "Code status Message", and `out` to print JSON for the test to read.
 */
export const BOTO3_PRELUDE = `
import boto3, botocore, json, os, urllib.request
from botocore.config import Config
url = os.environ['FAULTLINE_URL']
def control(path, body=None):
    req = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), headers={'content-type': 'application/json'}, method='GET' if body is None else 'POST')
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
def advance(seconds): control('/_faultline/clock/advance', {'seconds': seconds})
no_retry = Config(retries={'total_max_attempts': 1})
def session(role):
    # An EC2 client as a session of the default account's role (its name, with any path).
    c = boto3.client('sts').assume_role(RoleArn='arn:aws:iam::000000000000:role/' + role, RoleSessionName='drill')['Credentials']
    return boto3.client('ec2', config=no_retry, aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'])
def outcome(fn):
    try:
        fn()
        return 'ok'
    except botocore.exceptions.ClientError as e:
        return '%s %d %s' % (e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message'])
def out(x): print(json.dumps(x, default=str))
`;
