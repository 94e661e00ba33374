/** The last `capacity` items pushed, oldest overwritten first: bounded memory whatever the rate. */
export class RingBuffer<T> {
  readonly #items: T[] = [];
  #next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error("capacity must be a positive integer");
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Newest first, skipping `offset` and returning at most `limit`. */
  newest(offset = 0, limit = this.capacity): T[] {
    const out: T[] = [];
    const size = this.#items.length;
    for (let i = offset; i < size && out.length < limit; i++) {
      out.push(this.#items[(this.#next - 1 - i + 2 * size) % size] as T);
    }
    return out;
  }
}
