/** Invocations in flight, by description, so that a stop that gives up on them can say which. */
export class RunningInvocations {
  private seq = 0;
  private readonly running = new Map<number, string>();

  /** Tracks `work` under `label` ("activityTrigger 'hang'") until it settles. */
  track<T>(label: string, work: Promise<T>): Promise<T> {
    const id = ++this.seq;
    this.running.set(id, label);
    return work.finally(() => this.running.delete(id));
  }

  /** The running invocations, oldest first. */
  list(): string[] {
    return [...this.running.values()];
  }
}
