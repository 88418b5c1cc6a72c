/** S3: buckets, objects, bucket policies and canned ACLs, and bucket configurations, over REST-XML. */
import { models } from '../../models/index.ts';
import { RestXmlProtocol } from '../../protocols/rest-xml.ts';
import type { Service } from '../service.ts';
import { blobLoops } from './blobs.ts';
import { bucketHandlers } from './buckets.provider.ts';
import { configurationHandlers } from './configuration.provider.ts';
import { listingHandlers } from './listing.provider.ts';
import { objectHandlers } from './objects.provider.ts';
import { permissionHandlers } from './permissions.provider.ts';

/** Query keys that name a sub-resource of a bucket or object; a request naming one we do not serve is refused. */
const SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metadataConfiguration', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment',
  'restore', 'retention', 'select', 'session', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website', 'list-type',
];

export const s3: Service = {
  signingName: 's3',
  model: models.s3,
  protocols: [
    new RestXmlProtocol({
      xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/',
      bareErrors: true,
      subresources: SUBRESOURCES,
      rootElements: {
        ListBucketsOutput: 'ListAllMyBucketsResult',
        ListObjectsOutput: 'ListBucketResult',
        ListObjectsV2Output: 'ListBucketResult',
        DeleteObjectsOutput: 'DeleteResult',
        GetBucketLifecycleConfigurationOutput: 'LifecycleConfiguration',
        GetBucketVersioningOutput: 'VersioningConfiguration',
      },
      valueRoots: { GetBucketLocationOutput: 'LocationConstraint' },
    }),
  ],
  handlers: {
    ...bucketHandlers,
    ...objectHandlers,
    ...listingHandlers,
    ...permissionHandlers,
    ...configurationHandlers,
  },
  loops: blobLoops,
};
