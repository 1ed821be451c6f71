// Which request spans are kept (telemetry.traces.sample). Each line has a fixed sampling number u in [0, 1)
// (spanIds.ts), so a decision never depends on when or how often the line is read:
//   errors  (5xx, auth failures, failed logins, failed SSH commands): kept when u < errors
//   flagged (a sample request of an alert, see RuleEngine.onAlertSamples): kept when u < flagged
//   every request:                                                   kept when u < other
// A request that is several of these is kept when any of them keeps it.

export interface SampleShares {
  errors: number;
  flagged: number;
  other: number;
}

export class SamplingPolicy {
  private readonly errorsShare: number;

  constructor(private readonly shares: SampleShares) {
    // An error is at least as likely to be kept as any other request.
    this.errorsShare = Math.max(shares.errors, shares.other);
  }

  /** Kept on its own merits, before knowing whether a rule flags it. */
  keepsOnItsOwn(isError: boolean, u: number): boolean {
    return u < (isError ? this.errorsShare : this.shares.other);
  }

  /** Kept because a rule flagged it. */
  keepsFlagged(u: number): boolean {
    return u < this.shares.flagged;
  }

  get flaggingMatters(): boolean {
    return this.shares.flagged > 0;
  }

  get keepsNothing(): boolean {
    return this.shares.errors === 0 && this.shares.flagged === 0 && this.shares.other === 0;
  }
}
