// Style-learning child process entry: registers tsx's loader in this process, then runs the TypeScript child.
import { register } from 'tsx/esm/api';

// The project's tsconfig, whatever the working folder.
register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
await import('./learnChild.ts');
