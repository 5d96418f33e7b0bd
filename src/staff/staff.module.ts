import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { RolesGuard } from './roles.guard';
import { StaffController } from './staff.controller';
import { StaffService } from './staff.service';

@Module({
  imports: [IdentityModule],
  controllers: [StaffController],
  providers: [StaffService, RolesGuard],
  exports: [StaffService, RolesGuard],
})
export class StaffModule {}
