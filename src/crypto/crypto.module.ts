import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config';
import { LOGGER } from '../web/tokens';
import { PiiCipher, PiiFingerprints } from './pii-cipher';

/** The PII cipher and fingerprints, keyed from configuration; import this module where personal data is stored. */
@Module({
  providers: [
    {
      provide: PiiCipher,
      inject: [CONFIG, LOGGER],
      useFactory: (config: Config, logger: Logger) => {
        if (config.generatedPiiKeys.length) {
          logger.warn(
            { variables: config.generatedPiiKeys, dataDir: config.dataDir },
            `${config.generatedPiiKeys.join(' and ')} not set: personal data is encrypted with development keys kept under DATA_DIR/secrets. Set them before storing real data.`,
          );
        }
        return new PiiCipher(config.piiKeys);
      },
    },
    { provide: PiiFingerprints, inject: [CONFIG], useFactory: (config: Config) => new PiiFingerprints(config.piiFingerprintKey) },
  ],
  exports: [PiiCipher, PiiFingerprints],
})
export class CryptoModule {}
