/** Types of scripts/ensureChromium.mjs (the browser tests import it). */
export declare const INSTALL_COMMAND: string
export declare function findChromium(): string | undefined
export declare function ensureChromium(options?: { log?: (message: string) => void }): string
