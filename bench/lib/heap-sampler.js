'use strict';
/**
 * Preloaded (`-r`) into an API process started by `startApiProcess({ sampleHeap: true })`, so a
 * benchmark can measure the server's memory, not its own. Plain JavaScript: the API runs compiled,
 * without ts-node. Over the IPC channel: `heap:start` collects garbage (the process runs with
 * --expose-gc), takes the baseline and samples `process.memoryUsage()` every 50 ms; `heap:stop`
 * answers with the baseline, the peaks and the CPU time the process used in between (user +
 * system). Samples are taken when the event loop is free, as any in-process sampler would.
 */
if (process.send) {
  if (process.channel) process.channel.unref();
  let timer = null;
  let before = 0;
  let peak = 0;
  let rssPeak = 0;
  let cpu = process.cpuUsage();
  const sample = () => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.heapUsed);
    rssPeak = Math.max(rssPeak, usage.rss);
  };
  process.on('message', (message) => {
    if (message === 'heap:start') {
      if (typeof globalThis.gc === 'function') globalThis.gc();
      const usage = process.memoryUsage();
      before = usage.heapUsed;
      peak = before;
      rssPeak = usage.rss;
      cpu = process.cpuUsage();
      if (timer) clearInterval(timer);
      timer = setInterval(sample, 50);
      process.send({ type: 'heap:started' });
    } else if (message === 'heap:stop') {
      if (timer) clearInterval(timer);
      timer = null;
      sample();
      const used = process.cpuUsage(cpu);
      process.send({ type: 'heap', before, peak, rssPeak, cpuMs: (used.user + used.system) / 1000 });
    }
  });
}
