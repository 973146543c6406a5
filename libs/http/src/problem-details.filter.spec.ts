import { ProblemDetailsFilter } from './problem-details.filter';

describe('ProblemDetailsFilter', () => {
  it('hides internal messages outside dev and test mode', () => {
    const error = new Error('connection to 10.0.0.7:5432 refused for user attest_admin');
    const production = new ProblemDetailsFilter(false).toProblem(error).problem;
    expect(production).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(JSON.stringify(production)).not.toContain('10.0.0.7');
    expect(new ProblemDetailsFilter(true).toProblem(error).problem.detail).toContain('10.0.0.7');
  });

  it('never lets an extension overwrite the standard members', async () => {
    const { problemDetails } = await import('./problem');
    expect(problemDetails('FORBIDDEN', 'no', { status: 200, code: 'OK', title: 'fine' })).toMatchObject({ status: 403, code: 'FORBIDDEN', title: 'Not allowed for this caller' });
  });
});
