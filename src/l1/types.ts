/** The logger l1 components take (`modules.logger`): the one every l2kit component takes. */
export { type LogFn, type Logger, silentLogger } from '../core/logger.ts'
