/** RDS's operations, one module per family of resources. */
import type { Handler } from '../service.ts';
import { catalogueHandlers } from './catalogue.ts';
import { eventHandlers } from './events.ts';
import { instanceHandlers } from './instances.ts';
import { parameterGroupHandlers } from './parameter-groups.ts';
import { snapshotHandlers } from './snapshots.ts';
import { subnetGroupHandlers } from './subnet-groups.ts';
import { tagHandlers } from './tags.ts';

export const rdsHandlers: Record<string, Handler> = {
  ...subnetGroupHandlers,
  ...instanceHandlers,
  ...snapshotHandlers,
  ...parameterGroupHandlers,
  ...eventHandlers,
  ...tagHandlers,
  ...catalogueHandlers,
  DescribeAccountAttributes: () => ({
    AccountQuotas: [
      { AccountQuotaName: 'DBInstances', Used: 0, Max: 40 },
      { AccountQuotaName: 'ManualSnapshots', Used: 0, Max: 100 },
      { AccountQuotaName: 'AllocatedStorage', Used: 0, Max: 100_000 },
    ],
  }),
};
