import { Controller, Get, Header } from '@nestjs/common';
import { z } from 'zod';
import { Contract } from '@attest/http';
import { Public } from '../auth/auth.decorators';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint. Public like /health: expose it on an internal network only. */
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Contract({ summary: 'Prometheus metrics (text exposition format)', tags: ['operations'], responses: { 200: z.string() } })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
