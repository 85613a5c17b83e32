// A prover worker process: proves one block per request with snarkjs (Groth16) and answers over IPC.
// Runs as plain JavaScript (no TypeScript loader) so provers can be started anywhere Node and snarkjs are.
// Request: { id, inputPath, wasmPath, zkeyPath }; answer: { id, proof, publicSignals, seconds } or { id, error }.
import { readFile } from 'node:fs/promises'
import * as snarkjs from 'snarkjs'

process.on('message', async (message) => {
  const { id, inputPath, wasmPath, zkeyPath } = message
  const started = performance.now()
  try {
    const input = JSON.parse(await readFile(inputPath, 'utf8'))
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasmPath, zkeyPath)
    process.send({ id, proof, publicSignals, seconds: (performance.now() - started) / 1000 })
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) })
  }
})
process.on('disconnect', () => process.exit(0))
