import { Logger } from '@nestjs/common';
import { ProblemDetailsFilter } from './problem-details.filter';

describe('ProblemDetailsFilter', () => {
  it('hides internal messages outside dev and test mode', () => {
    const error = new Error('connection to 10.0.0.7:5432 refused for user attest_admin');
    const production = new ProblemDetailsFilter(false).toProblem(error).problem;
    expect(production).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(JSON.stringify(production)).not.toContain('10.0.0.7');
    expect(new ProblemDetailsFilter(true).toProblem(error).problem.detail).toContain('10.0.0.7');
  });

  it('logs an unexpected error with the request it failed, so the log line can be found from the X-Request-Id the caller got', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      new ProblemDetailsFilter(false).toProblem(new Error('disk full'), { id: '0193a7f0-req', method: 'POST', url: '/v1/tips?x=1' });
      expect(logged).toHaveBeenCalledTimes(1);
      const line = String(logged.mock.calls[0]?.[0]);
      expect(line).toContain('POST /v1/tips (request 0193a7f0-req)');
      expect(line).toContain('disk full');
      expect(line).not.toContain('x=1');
    } finally {
      logged.mockRestore();
    }
  });

  it('never lets an extension overwrite the standard members', async () => {
    const { problemDetails } = await import('./problem');
    expect(problemDetails('FORBIDDEN', 'no', { status: 200, code: 'OK', title: 'fine' })).toMatchObject({ status: 403, code: 'FORBIDDEN', title: 'Not allowed for this caller' });
  });
});
