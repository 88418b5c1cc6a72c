"""
Runs AWS CLI commands for test/aws-cli.ts, one at a time, as the `aws` script does: a new
driver and session from awscli.clidriver for each command, in the environment the command
gives. Only the service models parsed from botocore's data files are kept between commands
(one shared data loader), which is most of what a command costs in a new process.

Requests arrive on fd 3 and replies leave on fd 4, one JSON object a line, so that a command's
own stdin is /dev/null and its stdout and stderr are captured apart.
"""
import io
import json
import os
import sys
import traceback

import awscli.clidriver

# The `aws` script's import of awscli appends the CLI's own data directory to AWS_DATA_PATH.
awscli_data = os.environ['AWS_DATA_PATH'].split(os.pathsep)[-1]

requests = os.fdopen(3, 'r', encoding='utf-8')
replies = os.fdopen(4, 'w', encoding='utf-8')
loader = None

for line in requests:
    req = json.loads(line)
    os.environ.clear()
    os.environ.update(req['env'])
    os.environ['AWS_DATA_PATH'] = os.pathsep.join(filter(None, [os.environ.get('AWS_DATA_PATH'), awscli_data]))
    # What the `aws` script does before it imports the driver.
    if os.environ.get('LC_CTYPE', '') == 'UTF-8':
        os.environ['LC_CTYPE'] = 'en_US.UTF-8'
    out = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding='utf-8', write_through=True)
    sys.stdout, sys.stderr = out, err
    try:
        driver = awscli.clidriver.create_clidriver()
        if loader is None:
            loader = driver.session.get_component('data_loader')
        else:
            driver.session.register_component('data_loader', loader)
        code = driver.main(req['args'])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 255
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    replies.write(json.dumps({
        'code': code or 0,
        'stdout': out.buffer.getvalue().decode('utf-8', 'replace'),
        'stderr': err.buffer.getvalue().decode('utf-8', 'replace'),
    }) + '\n')
    replies.flush()
