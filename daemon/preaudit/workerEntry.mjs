// Worker-thread entry. From the compiled dist/ the pool names the compiled worker (workerData.compiledWorker):
// it is loaded as it is, without tsx's loader (about 20 MB less a reader). From the sources, registers tsx
// in this thread, then runs the TypeScript worker.
import { workerData } from 'node:worker_threads';

if (typeof workerData?.compiledWorker === 'string') {
  await import(workerData.compiledWorker);
} else {
  const { register } = await import('tsx/esm/api');
  // The project's tsconfig, whatever the working folder.
  register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
  await import('./worker.ts');
}
