/**
 * One published message as a line of `<topicName>.jsonl`: the JSON envelope SNS
 * delivers to SQS and HTTP subscribers (without signature fields).
 */
export interface SnsNotification {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  SequenceNumber?: string;
}
