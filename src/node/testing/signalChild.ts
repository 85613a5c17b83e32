/**
 * Test helper process for `onShutdownSignals`: runs a fake service (an interval) until a signal arrives;
 * the shutdown takes 300 ms, then prints `stopped cleanly after <signal>` and lets the process end.
 */
import { writeSync } from 'node:fs'
import { onShutdownSignals, sleep } from '../lifecycle.ts'

const work = setInterval(() => {}, 1000)
onShutdownSignals(async (signal) => {
  await sleep(300)
  clearInterval(work)
  writeSync(1, `stopped cleanly after ${signal}\n`)
})
writeSync(1, 'ready\n')
