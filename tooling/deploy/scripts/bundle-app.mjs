// Compiles an app's TypeScript entry point to one JavaScript file for production images, so the image runs
// `node dist/main.js` and not TypeScript through tsx. Workspace packages (@capture/*, consumed as source)
// and their dependencies are compiled in; the app's own direct dependencies stay external and load from its
// node_modules at run time (they may read files next to themselves: pino's transports, bullmq's scripts).
//   node bundle-app.mjs <app folder> <entry, relative to it> <outfile, relative to it>
// esbuild is the one tsx (an app dependency) brings, or the app's own if it lists one.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [appDir, entry = "src/main.ts", outfile = "dist/main.js"] = process.argv.slice(2);
if (!appDir) {
  process.stderr.write("usage: node bundle-app.mjs <app folder> [entry] [outfile]\n");
  process.exit(2);
}
const root = path.resolve(appDir);
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const requireFromApp = createRequire(path.join(root, "package.json"));
function resolveEsbuild() {
  try {
    return requireFromApp.resolve("esbuild");
  } catch {
    return createRequire(requireFromApp.resolve("tsx/package.json")).resolve("esbuild");
  }
}
const esbuild = await import(resolveEsbuild());

/** The app's own dependencies (not workspace packages): left as imports, resolved from its node_modules. */
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith("@capture/"));
const isExternal = (specifier) =>
  external.some((name) => specifier === name || specifier.startsWith(`${name}/`));

const result = await esbuild.build({
  entryPoints: [path.resolve(root, entry)],
  outfile: path.resolve(root, outfile),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  // Bundled CommonJS (pg, the AWS SDK) calls require(); an ESM bundle gets one from createRequire.
  banner: {
    js: 'import { createRequire as __captureCreateRequire } from "node:module"; const require = __captureCreateRequire(import.meta.url);',
  },
  // pg's optional native binding is never installed.
  external: ["pg-native"],
  plugins: [
    {
      name: "app-dependencies-external",
      setup(build) {
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          isExternal(args.path) ? { path: args.path, external: true } : undefined,
        );
      },
    },
  ],
  logLevel: "warning",
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
process.stdout.write(
  `bundled ${pkg.name} -> ${outfile} (${(bytes / 1024 / 1024).toFixed(1)} MiB with map)\n`,
);
