import type { Logger } from '../log/index.js';
import type { TrunkLimiter } from './trunk-limiter.js';

/**
 * Sends what the trunk limiter reports on its own timers to the log: a lost lease means the fleet
 * is over the trunk's channel cap (operators need the trunk and counts to see by how much), and a
 * throwing listener would otherwise vanish inside the renewal timer.
 */
export function logLimiterEvents(limiter: TrunkLimiter, logger: Logger): void {
  limiter.on('leaseLost', (leaseId, channels) =>
    logger.warn(
      { trunk: limiter.trunk, leaseId, channelsInUse: channels.inUse, maxChannels: channels.max },
      'channel lease lost: the fleet is over the trunk channel cap',
    ),
  );
  limiter.on('listenerError', (event, error) =>
    logger.error({ trunk: limiter.trunk, event, err: error }, 'a trunk limiter listener threw'),
  );
}
