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

function clientOptions(config: MessagingConfig) {
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    // The embedded broker accepts any SigV4 signature; AWS gets the real credential chain.
    ...(config.embedded && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'paymesh', secretAccessKey: 'paymesh' } }
      : {}),
  };
}

export function createSqsClient(config: MessagingConfig): SQSClient {
  return new SQSClient(clientOptions(config));
}

export function createEventBridgeClient(config: MessagingConfig): EventBridgeClient {
  return new EventBridgeClient(clientOptions(config));
}
