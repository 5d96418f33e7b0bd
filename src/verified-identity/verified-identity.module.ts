import { Module } from '@nestjs/common';
import { CryptoModule } from '../crypto/crypto.module';
import { VerifiedIdentitiesService } from './verified-identities.service';

/**
 * The identity a verification established (table verified_identity, personal data sealed):
 * recorded by the video module when a call ends "verified", shared by the oidc module.
 */
@Module({
  imports: [CryptoModule],
  providers: [VerifiedIdentitiesService],
  exports: [VerifiedIdentitiesService],
})
export class VerifiedIdentityModule {}
