/** The shape of the generated API models (a subset of botocore's service-2 format). */
export interface ShapeRef {
  shape: string;
  locationName?: string;
  queryName?: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  flattened?: boolean;
  xmlNamespace?: { uri: string };
  xmlAttribute?: boolean;
  idempotencyToken?: boolean;
}

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'blob' | 'double' | 'float';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  flattened?: boolean;
  locationName?: string;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  payload?: string;
  streaming?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  exception?: boolean;
  timestampFormat?: string;
  xmlNamespace?: { uri: string };
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: ShapeRef;
  output?: ShapeRef & { resultWrapper?: string };
}

export interface ServiceModel {
  metadata: {
    protocol: string;
    protocols?: string[];
    apiVersion: string;
    xmlNamespace?: string;
    targetPrefix?: string;
    jsonVersion?: string;
    signingName?: string;
    endpointPrefix: string;
    /** The short name SDKs give the service (`EC2`, `Auto Scaling`). */
    serviceId?: string;
    awsQueryCompatible?: Record<string, never>;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}
