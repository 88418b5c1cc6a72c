#!/usr/bin/env python3
"""Generates src/models/service-protocols.json: for every service botocore knows, the name it
signs requests with and the wire protocols it speaks.

faultline answers a request signed for a service it does not serve with an error in that
service's own protocol, so that the client can read it (src/gateway/unserved.ts). The table
lists every service, including the ones faultline serves: which those are is decided at run
time from src/services/index.ts. Run through `npm run models`; never edit the output by hand.
"""
import gzip
import json
import os

import botocore

DATA = os.path.join(os.path.dirname(botocore.__file__), 'data')
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'models', 'service-protocols.json')


def latest_metadata(service):
    base = os.path.join(DATA, service)
    versions = sorted(v for v in os.listdir(base) if os.path.isfile(os.path.join(base, v, 'service-2.json.gz')))
    if not versions:
        return None
    with gzip.open(os.path.join(base, versions[-1], 'service-2.json.gz')) as f:
        return json.load(f)['metadata']


def main():
    by_signing_name = {}
    for service in sorted(os.listdir(DATA)):
        if not os.path.isdir(os.path.join(DATA, service)):
            continue
        meta = latest_metadata(service)
        if meta is None:
            continue
        entry = {
            'id': service,
            'name': meta.get('serviceFullName', service),
            'protocols': meta.get('protocols') or [meta['protocol']],
            'apiVersion': meta['apiVersion'],
        }
        for key in ('targetPrefix', 'jsonVersion'):
            if key in meta:
                entry[key] = meta[key]
        by_signing_name.setdefault(meta.get('signingName', meta['endpointPrefix']), []).append(entry)
    # Where several APIs share a signing name, the one named like it (rds beside docdb and
    # neptune) comes first: it is the one meant when a request does not say which.
    for name, apis in by_signing_name.items():
        apis.sort(key=lambda a: (a['id'] != name, a['id']))
    with open(OUT, 'w') as f:
        # One line per signing name keeps the file small and its diffs readable.
        f.write('{\n "generatedFrom": %s,\n "services": {\n' % json.dumps(f'botocore {botocore.__version__}'))
        f.write(',\n'.join(f'  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}' for k, v in sorted(by_signing_name.items())))
        f.write('\n }\n}\n')
    print(f'service-protocols: {len(by_signing_name)} signing names')


if __name__ == '__main__':
    main()
