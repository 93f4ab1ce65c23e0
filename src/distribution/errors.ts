// The one error class of the placement code: a server list that a distribution cannot place keys on.

/** A server list or weight that the chosen distribution cannot honour; the message names the server and the fix. */
export class DistributionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistributionError';
  }
}
