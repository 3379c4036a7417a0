import { test } from 'tap'
import { GroupCommit, QueueTimeoutError, type Batch } from '../../src/lib/group-commit.js'

/** A flush that waits until released, recording every batch it was given. */
function gate () {
  const batches: number[][] = []
  const releases: Array<() => void> = []
  const flush = async (batch: Batch<number>) => {
    batches.push(batch.items)
    await new Promise<void>((resolve) => releases.push(resolve))
    return batch.items.map((n) => n * 10)
  }
  return { batches, releases, flush }
}

test('a lone submission is flushed at once; a burst waits for a slot and goes in one batch', async (t) => {
  const g = gate()
  const queue = new GroupCommit<number, number>({ concurrency: 1, maxItems: 100, maxBytes: 1e9, maxWaitMs: 10_000, flush: g.flush })
  const first = queue.submit(1)
  t.same(g.batches, [[1]], 'flushed without waiting for company')
  const rest = [2, 3, 4, 5].map(async (n) => await queue.submit(n))
  t.equal(queue.waiting, 4)
  g.releases[0]()
  t.equal(await first, 10)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(g.batches, [[1], [2, 3, 4, 5]], 'the four that waited form one batch')
  g.releases[1]()
  t.same(await Promise.all(rest), [20, 30, 40, 50], 'each gets its own result')
})

test('batches are bounded by item count and by bytes', async (t) => {
  const g = gate()
  const queue = new GroupCommit<number, number>({ concurrency: 1, maxItems: 3, maxBytes: 100, maxWaitMs: 10_000, flush: g.flush })
  const all = [queue.submit(0, 10), ...[1, 2, 3, 4].map(async (n) => await queue.submit(n, 10)), queue.submit(5, 60), queue.submit(6, 60)]
  for (let i = 0; i < 4; i++) {
    g.releases[i]()
    await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(all)
  t.same(g.batches, [[0], [1, 2, 3], [4, 5], [6]])
})

test('an item that waits longer than maxWaitMs fails with QueueTimeoutError without being flushed', async (t) => {
  const g = gate()
  const queue = new GroupCommit<number, number>({ concurrency: 1, maxItems: 10, maxBytes: 1e9, maxWaitMs: 50, flush: g.flush })
  const held = queue.submit(1)
  const started = Date.now()
  await t.rejects(queue.submit(2), QueueTimeoutError)
  const waited = Date.now() - started
  t.ok(waited >= 45, `failed after its wait ran out (${waited} ms)`)
  g.releases[0]()
  await held
  t.same(g.batches, [[1]], 'the expired item was never handed to flush')
})

test('per-item errors and a failed flush reach the right callers', async (t) => {
  const queue = new GroupCommit<number, number>({
    concurrency: 2,
    maxItems: 10,
    maxBytes: 1e9,
    maxWaitMs: 1000,
    flush: async (batch) => {
      if (batch.items.includes(99)) throw new Error('batch failed')
      return batch.items.map((n) => n % 2 === 0 ? n : new Error(`odd ${n}`))
    }
  })
  t.equal(await queue.submit(2), 2)
  await t.rejects(queue.submit(3), { message: 'odd 3' })
  await t.rejects(queue.submit(99), { message: 'batch failed' })
  queue.close(new Error('closed'))
})
