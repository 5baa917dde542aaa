import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { createSnsIntegration } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { taskRequest } from './helpers';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:fanout-notices';

function publish(parameters: Json) {
  const integration = createSnsIntegration({ client: new SNSClient({ region: 'eu-west-1' }) });
  return integration.invoke(taskRequest({ resource: 'arn:aws:states:::sns:publish', action: 'publish', parameters }));
}

describe('sns integration', () => {
  it('publishes the message and returns the MessageId with SDK metadata', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', $metadata: { httpStatusCode: 200, requestId: 'sns-req' } });
    const parameters = {
      TopicArn: TOPIC,
      Subject: 'run-1 finished',
      Message: 'run-1: 99 succeeded, 1 failed',
      MessageAttributes: { runId: { DataType: 'String', StringValue: 'run-1' } },
    };

    const output = await publish(parameters);

    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual(parameters);
    // Output shape as recorded from AWS for arn:aws:states:::sns:publish.
    expect(output).toMatchObject({
      MessageId: 'm-1',
      SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { 'Content-Type': 'text/xml' } },
      SdkResponseMetadata: { RequestId: 'sns-req' },
    });
  });

  it('sends a JSON Message as its JSON text', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2', $metadata: {} });
    await publish({ TopicArn: TOPIC, Message: { runId: 'run-1', failed: 1 } });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC, Message: '{"runId":"run-1","failed":1}' });
  });

  it('fails with SNS.NotFoundException and the bare code in the cause for a missing topic', async () => {
    sns.on(PublishCommand).rejects(
      new NotFoundException({
        message: 'Topic does not exist',
        $metadata: { httpStatusCode: 404, requestId: 'r-2' },
      }),
    );
    await expect(publish({ TopicArn: TOPIC, Message: 'x' })).rejects.toMatchObject({
      error: 'SNS.NotFoundException',
      cause:
        'Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: r-2; Proxy: null)',
    });
  });

  it('requires a Message', async () => {
    await expect(publish({ TopicArn: TOPIC })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringContaining('The field "Message" is required but was missing'),
    });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
