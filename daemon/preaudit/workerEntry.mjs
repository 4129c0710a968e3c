// Worker-thread entry: registers tsx's loader in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

// The project's tsconfig, whatever the working folder.
register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
await import('./worker.ts');
