/**
 * A bounded ring of fixed-width Float64Array rows, the storage of the
 * per-account columnar rings (execution-report history, retained trades).
 * Rows live in fixed pages carved from shared chunks (page-pool.ts) and
 * allocated on first use: growing never copies, and an account that only ever
 * sees a few rows holds one small page. Once `cap` rows are held, each new row
 * overwrites the oldest.
 */
import { allocPage } from './page-pool.ts';

const NO_PAGE: Float64Array = new Float64Array(0);

export class PagedRing {
  private readonly pages: Float64Array[] = [];
  /** The page of the last row looked up (rows are written in ring order, so usually the next one's too). */
  private page: Float64Array = NO_PAGE;
  private pageNo = -1;
  private readonly pageRows: number;
  private head = 0;
  private held = 0;

  constructor(
    readonly cap: number,
    readonly width: number,
    private readonly pageBits: number,
  ) {
    this.pageRows = 1 << pageBits;
  }

  /** Rows held (at most cap). */
  get size(): number {
    return this.held;
  }

  /** The ring index the next row goes to (growing by a page, or overwriting the oldest); -1 when nothing is kept. */
  next(): number {
    const cap = this.cap;
    if (cap <= 0) return -1;
    if (this.held < cap) {
      const i = this.held++;
      if ((i & (this.pageRows - 1)) === 0) this.pages.push(allocPage(Math.min(this.pageRows, cap - i) * this.width));
      return i;
    }
    const i = this.head;
    this.head = i + 1 === cap ? 0 : i + 1;
    return i;
  }

  /** The page holding row `i` (see offsetOf). */
  pageOf(i: number): Float64Array {
    const n = i >> this.pageBits;
    if (n !== this.pageNo) {
      this.pageNo = n;
      this.page = this.pages[n]!;
    }
    return this.page;
  }

  /** Where row `i` starts in its page. */
  offsetOf(i: number): number {
    return (i & (this.pageRows - 1)) * this.width;
  }

  /** The ring index of the k-th oldest row (0 <= k < size). */
  at(k: number): number {
    return this.held < this.cap ? k : (this.head + k) % this.cap;
  }
}
