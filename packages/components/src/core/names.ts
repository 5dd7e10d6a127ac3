const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Physical queue names are fixed (not auto-suffixed) so dead letters are filed under a readable name. */
export function checkQueueName(name: string): string {
  if (!QUEUE_NAME.test(name))
    throw new Error(`invalid SQS queue name ${JSON.stringify(name)}: 1-80 of A-Z a-z 0-9 _ -`);
  return name;
}

export const DAY = 24 * 60 * 60;
/** SQS maximum retention, which every dead-letter queue keeps. */
export const DLQ_RETENTION_SECONDS = 14 * DAY;
/** SQS maximum visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** Visibility timeout for a queue consumed by a Lambda with this timeout: 6 × timeout (AWS guidance). */
export function visibilityForConsumer(timeoutSeconds: number): number {
  const v = 6 * timeoutSeconds;
  if (v > MAX_VISIBILITY_SECONDS)
    throw new Error(`6 × consumer timeout ${timeoutSeconds}s exceeds the SQS maximum visibility of 12 h`);
  return v;
}
