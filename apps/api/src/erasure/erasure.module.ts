import { Module } from '@nestjs/common';
import { ConsentModule } from '../consent/consent.module';
import { ErasureController } from './erasure.controller';

/** Right to erasure (issue 11): crypto-shredding of a subject's personal data. */
@Module({ imports: [ConsentModule], controllers: [ErasureController] })
export class ErasureModule {}
