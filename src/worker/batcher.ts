/**
 * Gathers items that arrive one at a time (bee-queue hands a worker one job per call)
 * into batches, so the model sees several images per call and the store one write per
 * batch. A batch goes when it is full or when no item has arrived for `lingerMs`.
 */
export class Batcher<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly size: number,
    private readonly lingerMs: number,
    private readonly run: (items: T[]) => Promise<R[]>,
  ) {}

  /** Resolves with this item's result once its batch has run. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });

      if (this.pending.length >= this.size) {
        this.flush();
      } else {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.flush(), this.lingerMs);
      }
    });
  }

  /** Runs whatever is pending now, without waiting for the batch to fill. */
  flush(): void {
    clearTimeout(this.timer);
    const batch = this.pending.splice(0, this.size);
    if (batch.length === 0) {
      return;
    }

    this.run(batch.map((entry) => entry.item)).then(
      (results) => batch.forEach((entry, i) => entry.resolve(results[i])),
      (err) => batch.forEach((entry) => entry.reject(err)),
    );

    if (this.pending.length > 0) {
      this.flush();
    }
  }
}
