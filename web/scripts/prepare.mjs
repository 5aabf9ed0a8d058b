// `npm install`'s prepare step: builds web/ when it is stale. Plain JavaScript, not TypeScript,
// because npm may run it on a Node too old to strip types (an install without dev dependencies
// lacks the project's own Node 24): such an install skips the build instead of failing.
if (!process.features.typescript) {
  console.log(`web: Node ${process.version} cannot run the web build (it needs Node 24, which \`npm install\` with dev dependencies brings); not built`);
} else {
  const { buildWebApp } = await import('./build.ts');
  await buildWebApp({ ifStale: true });
}
