// Preloaded (node --require) by bench/cliStart.ts: writes this process's peak RSS and CPU time
// to the file named by BENCH_USAGE_FILE when it exits, so the bench needs no external `time`.
'use strict';
const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    require('node:fs').writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
