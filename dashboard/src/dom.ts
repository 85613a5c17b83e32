/** A few DOM helpers: the page is plain TypeScript, no framework. */

type Child = Node | string | number | null | undefined | false

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    el.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c))
  return el
}

/** A short form of a 0x hash or address, full value in the tooltip. */
export function short(hex: string | null | undefined): HTMLElement {
  const text = hex ?? '—'
  const s = text.length > 22 ? `${text.slice(0, 10)}…${text.slice(-8)}` : text
  return h('span', { class: 'hash', title: text, 'data-full': text }, s)
}

/** Seconds as "1 h 02 min", "3 min 05 s" or "12 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${s} s`
}

/** Wei as ETH with up to 6 decimals. */
export function eth(wei: bigint | string): string {
  const v = typeof wei === 'bigint' ? wei : BigInt(wei)
  const whole = v / 10n ** 18n
  const frac = (v % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '')
  return `${whole}${frac ? `.${frac}` : ''} ETH`
}
