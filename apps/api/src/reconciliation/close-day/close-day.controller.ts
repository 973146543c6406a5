import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Actor } from '@attest/auth';
import { Contract, parseInput } from '@attest/http';
import { CurrentActor, Roles } from '../../auth/auth.decorators';
import { dayClosedToWire, ReconciliationService } from '../reconciliation.service';
import { dayClosedOutput, dayParams } from '../reconciliation.schemas';

/** Daily close: the day's trial balance and summary per currency, recorded as a `DayClosed` event, once. */
@Controller('v1/reconciliation/days/:day')
export class CloseDayController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Post('close')
  @HttpCode(201)
  @Roles('finance')
  @Contract({
    summary: "Close a past UTC day: record its trial balance and summary; a closed day cannot be closed again",
    tags: ['reconciliation'],
    params: dayParams,
    responses: { 201: dayClosedOutput },
    errors: ['DAY_ALREADY_CLOSED', 'PROJECTION_LAGGING'],
  })
  async close(@Param() rawParams: unknown, @CurrentActor() actor: Actor, @Req() request: FastifyRequest) {
    const { day } = parseInput(dayParams, rawParams, 'params');
    return dayClosedToWire(await this.reconciliation.closeDay(day, actor, request.id));
  }
}
