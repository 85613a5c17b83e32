/** What a CLI command is, for the dispatcher in main.ts and each family's command table. */
import type { Logger } from '../node/logger.ts'
import type { FlagSpec, ParsedArgs } from './args.ts'

export type Command = {
  summary: string
  flags: () => Promise<FlagSpec>
  run: (args: ParsedArgs) => Promise<void>
  examples?: string[]
}

/** What commands get from the dispatcher: a logger per command, and hooks run at exit (newest first). */
export type CommandContext = {
  loggerFor: (args: ParsedArgs, name: string) => Promise<Logger>
  onShutdown: (fn: () => Promise<void>) => void
}
