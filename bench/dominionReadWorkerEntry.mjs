// Worker-thread entry of bench/dominionRead.ts: registers tsx's loader in this thread, as the pre-audit pool's entry does.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
await import('./dominionRead.ts');
