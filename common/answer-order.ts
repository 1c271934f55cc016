// Answers to a repeated request (a poll) may arrive out of order, and after what they describe is
// over: an answer is applied only if its request is newer than every answer applied so far and
// than the last time the asker declared all earlier answers stale.
export class AnswerOrder {
  private sent = 0;
  private applied = 0;

  /** The number of a request about to be sent. */
  next(): number {
    return ++this.sent;
  }

  /** Whether the answer to request `n` may be applied (it then becomes the newest applied). */
  accept(n: number): boolean {
    if (n <= this.applied) return false;
    this.applied = n;
    return true;
  }

  /** Every request sent so far asked about a state that is over: their answers are stale. */
  supersede(): void {
    this.applied = this.sent;
  }
}
