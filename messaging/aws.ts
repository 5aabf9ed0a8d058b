import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface MessagingConfig {
  region: string;
  /** Set for the embedded broker (or any SQS/EventBridge-compatible endpoint); absent for real AWS. */
  endpoint?: string;
  /** True when talking to PayMesh's embedded broker rather than AWS. */
  embedded: boolean;
}

export const EMBEDDED_BROKER_URL = 'http://127.0.0.1:9324';

/**
 * Embedded broker by default. Real AWS when AWS_REGION is set and no endpoint
 * override (PAYMESH_BROKER_URL or AWS_ENDPOINT_URL) is.
 */
export function messagingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MessagingConfig {
  const override = env.PAYMESH_BROKER_URL || env.AWS_ENDPOINT_URL;
  if (override) {
    if (!/^https?:\/\/[^/]+/.test(override)) throw new Error(`PAYMESH_BROKER_URL must be an http(s) URL, got '${override}'`);
    return { region: env.AWS_REGION || 'us-east-1', endpoint: override.replace(/\/$/, ''), embedded: !env.AWS_ENDPOINT_URL || !!env.PAYMESH_BROKER_URL };
  }
  if (env.AWS_REGION) return { region: env.AWS_REGION, embedded: false };
  return { region: 'us-east-1', endpoint: EMBEDDED_BROKER_URL, embedded: true };
}

/**
 * What an SDK call costs the embedded broker's callers, measured per
 * ReceiveMessage against a canned answer on loopback: about 0.9 ms of client
 * CPU with the defaults against 0.25 ms for a bare keep-alive HTTP request.
 * The SigV4 signature was the largest part (about 0.35 ms: payload hash,
 * canonical request, HMACs). The embedded broker checks no signature (it
 * reads only the access key id, as SenderId), so its clients sign with a stub
 * that names the key and nothing else; AWS gets the SDK's real signer.
 * Rebuilding the middleware stack for every command costs about 0.05 ms more,
 * but the SDK's cache of it (cacheMiddleware) is dropped by every call made
 * with options, and the consumers' long polls need an abort signal.
 */
function clientOptions(config: MessagingConfig) {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID || 'paymesh';
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.embedded
      ? {
          // The embedded broker accepts any SigV4 signature; AWS gets the real credential chain and signer.
          ...(process.env.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId, secretAccessKey: 'paymesh' } }),
          signer: { sign: async <R extends { headers: Record<string, string> }>(request: R) => signForEmbeddedBroker(request, accessKeyId, config.region) },
        }
      : {}),
  };
}

/** The Authorization header the embedded broker reads (its Credential's access key id), without computing a signature. */
function signForEmbeddedBroker<R extends { headers: Record<string, string> }>(request: R, accessKeyId: string, region: string): R {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  request.headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${day}/${region}/unsigned/aws4_request, SignedHeaders=host, Signature=embedded-broker-does-not-check`;
  return request;
}

export function createSqsClient(config: MessagingConfig): SQSClient {
  return new SQSClient(clientOptions(config));
}

export function createEventBridgeClient(config: MessagingConfig): EventBridgeClient {
  return new EventBridgeClient(clientOptions(config));
}
