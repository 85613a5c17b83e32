/**
 * The import rules of ARCHITECTURE.md, checked on every source file: dependencies point down only
 * (core ← l1 ← node ← families; the SDK on core and l1; the CLI on top), no family imports another, nothing in
 * src imports bench/ or test/. A new family folder is picked up by name.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const FAMILIES = ['optimistic', 'zk', 'channels', 'plasma', 'sidechain'] as const

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) sources(p, out)
    else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(p)
  }
  return out
}

/** Relative import specifiers of a file (static, `export … from`, dynamic `import('…')`), resolved to repo paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)) {
    found.push(
      relative(root, resolve(dirname(file), m[2] as string))
        .split(sep)
        .join('/'),
    )
  }
  return found
}

/** Which layer a repo path belongs to, e.g. `core`, `l1`, `family:optimistic`, `protocol:optimistic`, `sdk`. */
function layerOf(path: string): string {
  const parts = path.split('/')
  if (parts[0] === 'bench') return 'bench'
  if (parts[0] === 'test') return 'test'
  if (parts[0] !== 'src') return parts[0] ?? '?'
  const top = parts[1] ?? ''
  if ((FAMILIES as readonly string[]).includes(top))
    return parts[2] === 'protocol' ? `protocol:${top}` : `family:${top}`
  if (top === 'sdk' || top === 'cli')
    return (FAMILIES as readonly string[]).includes(parts[2] ?? '') ? `${top}:${parts[2]}` : top
  return top // core, l1, node, generated
}

/** What each layer may import (besides itself). `F` stands for the importing file's own family. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  generated: [],
  l1: ['core', 'generated'],
  node: ['core', 'l1', 'generated'],
  'protocol:F': ['core'],
  'family:F': ['core', 'l1', 'node', 'generated', 'protocol:F'],
  sdk: ['core', 'l1', 'generated'],
  'sdk:F': ['core', 'l1', 'generated', 'sdk', 'protocol:F'],
  // compare: the comparison's pure parts (tables, costs, report, charts, ranking), on core alone
  compare: ['core'],
  cli: ['core', 'l1', 'node', 'generated', 'sdk', 'family:*', 'protocol:*', 'sdk:*', 'cli:*', 'compare'],
  'cli:F': ['core', 'l1', 'node', 'generated', 'sdk', 'family:F', 'protocol:F', 'sdk:F', 'cli'],
}

/**
 * Documented exceptions (ARCHITECTURE.md): a family's devnet bootstrap funds the dev accounts through its own SDK,
 * as a wallet would (it is a composition root like the CLI).
 */
const EXCEPTIONS: { from: RegExp; to: string }[] = [{ from: /^src\/([a-z]+)\/devnet\.ts$/, to: 'sdk:F' }]

function allowed(fromPath: string, toPath: string): boolean {
  const from = layerOf(fromPath)
  const to = layerOf(toPath)
  if (from === to) return true
  const family = from.includes(':') ? from.split(':')[1] : undefined
  const key = family ? from.replace(family, 'F') : from
  const rules = [...(ALLOWED[key] ?? [])]
  for (const e of EXCEPTIONS) if (e.from.test(fromPath)) rules.push(e.to)
  return rules.some((r) => {
    const concrete = family ? r.replace(':F', `:${family}`) : r
    if (concrete.endsWith(':*')) return to.startsWith(concrete.slice(0, -1))
    return concrete === to
  })
}

describe('layering', () => {
  const files = sources(join(root, 'src')).filter((f) => !f.endsWith('.test.ts'))

  it('every src module imports only what its layer may import', () => {
    const violations: string[] = []
    for (const f of files) {
      const from = relative(root, f).split(sep).join('/')
      for (const to of imports(f)) if (!allowed(from, to)) violations.push(`${from} → ${to}`)
    }
    expect(violations).toEqual([])
  })

  it('nothing in src imports bench/ or test/ (tests included)', () => {
    const all = sources(join(root, 'src'))
    const violations = all.flatMap((f) =>
      imports(f)
        .filter((to) => to.startsWith('bench/') || to.startsWith('test/'))
        .map((to) => `${relative(root, f)} → ${to}`),
    )
    expect(violations).toEqual([])
  })

  it('the rules catch what they should (a family importing another, core importing a family, sdk importing node)', () => {
    expect(allowed('src/zk/prover.ts', 'src/optimistic/derivation.ts')).toBe(false)
    expect(allowed('src/core/state.ts', 'src/optimistic/protocol/trace.ts')).toBe(false)
    expect(allowed('src/sdk/optimistic/depositEth.ts', 'src/node/store.ts')).toBe(false)
    expect(allowed('src/optimistic/attack.ts', 'src/sdk/optimistic/depositEth.ts')).toBe(false)
    expect(allowed('src/optimistic/protocol/trace.ts', 'src/l1/blobs.ts')).toBe(false)
    expect(allowed('src/optimistic/derivation.ts', 'src/l1/logFollower.ts')).toBe(true)
    expect(allowed('src/sdk/optimistic/forceTransaction.ts', 'src/optimistic/protocol/batchCodecV3.ts')).toBe(
      true,
    )
    expect(allowed('src/cli/optimistic/demo.ts', 'src/cli/output.ts')).toBe(true)
    expect(allowed('src/cli/main.ts', 'bench/optimistic/bench.ts')).toBe(false)
  })
})
