"""
Runs AWS CLI commands and boto3 scripts for test/clients.ts, one at a time, each in the
environment its request gives:

- a command as the `aws` script does, with a new driver and session from awscli.clidriver;
- a script as `python3 -c` does, in a new __main__ namespace, with a new boto3 default session.

What a new process would redo every time is kept: Python itself, the imported modules, and the
service models parsed from botocore's data files (one data loader for each data path, shared by
every session). Requests arrive on fd 3 and replies leave on fd 4, one JSON object a line, so
that stdin is /dev/null and stdout and stderr are captured apart.
"""
import io
import json
import os
import sys
import traceback

import awscli.clidriver
import boto3
import botocore.session

# Importing awscli appended the CLI's own data directory to AWS_DATA_PATH, as the `aws` script does.
AWSCLI_DATA = os.environ['AWS_DATA_PATH'].split(os.pathsep)[-1]

new_loader = botocore.session.create_loader
loaders = {}


def shared_loader(search_path_string=None):
    loader = loaders.get(search_path_string)
    if loader is None:
        loader = loaders[search_path_string] = new_loader(search_path_string)
    # Each boto3 session appends boto3's data directory to its loader: keep one copy.
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return loader


botocore.session.create_loader = shared_loader


def aws(args):
    # What the `aws` script does before it imports the driver.
    os.environ['AWS_DATA_PATH'] = os.pathsep.join(filter(None, [os.environ.get('AWS_DATA_PATH'), AWSCLI_DATA]))
    if os.environ.get('LC_CTYPE', '') == 'UTF-8':
        os.environ['LC_CTYPE'] = 'en_US.UTF-8'
    return awscli.clidriver.create_clidriver().main(args)


def python(script):
    boto3.DEFAULT_SESSION = None
    sys.argv = ['-c']
    exec(compile(script, '<string>', 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})
    return 0


requests = os.fdopen(3, 'r', encoding='utf-8')
replies = os.fdopen(4, 'w', encoding='utf-8')

for line in requests:
    req = json.loads(line)
    os.environ.clear()
    os.environ.update(req['env'])
    out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)
    sys.stdout, sys.stderr = out, err
    try:
        code = aws(req['args']) if 'args' in req else python(req['script'])
    except SystemExit as e:
        # As Python exits: None is 0, an int is the code, anything else is printed and gives 1.
        if e.code is None or isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 255 if 'args' in req else 1
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    replies.write(json.dumps({
        'code': code or 0,
        'stdout': out.buffer.getvalue().decode('utf-8', 'replace'),
        'stderr': err.buffer.getvalue().decode('utf-8', 'replace'),
    }) + '\n')
    replies.flush()
