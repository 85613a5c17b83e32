/** JSON that keeps bigints: what the chain store writes, so amounts up to 2^256 survive a restart exactly. */

const BIGINT_TAG = '$n:'

export function stringifyWithBigints(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `${BIGINT_TAG}${v.toString()}` : v,
  )
}

export function parseWithBigints<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith(BIGINT_TAG) ? BigInt(v.slice(BIGINT_TAG.length)) : v,
  ) as T
}
