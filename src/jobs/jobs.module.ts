import { Global, Module } from '@nestjs/common';
import { JobRunner } from './job-runner';

/** The scheduled jobs' runner, for every module that owns a job (see jobs.ts). */
@Global()
@Module({ providers: [JobRunner], exports: [JobRunner] })
export class JobsModule {}
