/** The narrow interface every wire protocol implements. */
import type { AwsError } from '../core/errors.ts';
import type { ServiceModel } from './model.ts';

export interface WireRequest {
  method: string;
  /** The path without the query string, percent-decoded. */
  path: string;
  rawPath: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface ParsedRequest {
  operation: string;
  input: Record<string, unknown>;
}

export interface Protocol {
  readonly name: string;
  parse(req: WireRequest, model: ServiceModel): ParsedRequest;
  serialize(model: ServiceModel, operation: string, output: unknown, requestId: string, req: WireRequest): WireResponse;
  serializeError(model: ServiceModel, error: AwsError, requestId: string, req: WireRequest): WireResponse;
}
