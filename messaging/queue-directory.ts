import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Resolves queue names to URLs once per process (GetQueueUrl), the same way on AWS and the embedded broker. */
export class QueueDirectory {
  private readonly sqs: SQSClient;
  private readonly urls = new Map<string, Promise<string>>();

  constructor(sqs: SQSClient) {
    this.sqs = sqs;
  }

  url(queueName: string): Promise<string> {
    let url = this.urls.get(queueName);
    if (!url) {
      url = this.sqs.send(new GetQueueUrlCommand({ QueueName: queueName })).then((r) => {
        if (!r.QueueUrl) throw new Error(`queue ${queueName} has no URL`);
        return r.QueueUrl;
      });
      // A failed lookup (queue not created yet, broker down) must not be cached.
      url.catch(() => this.urls.delete(queueName));
      this.urls.set(queueName, url);
    }
    return url;
  }
}
