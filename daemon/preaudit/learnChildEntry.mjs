// Style-learning child process entry. From the compiled dist/ the daemon names the compiled child (first
// argument): it is loaded as it is, without tsx's loader. From the sources, registers tsx in this process,
// then runs the TypeScript child.
const compiled = process.argv[2];
if (compiled !== undefined) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  // The project's tsconfig, whatever the working folder.
  register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
  await import('./learnChild.ts');
}
