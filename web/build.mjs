// Builds the two pages into OUT_DIR, the files the C++ server embeds and serves:
//   node web/build.mjs OUT_DIR      (from any directory; OUT_DIR is created)
//   node web/build.mjs --list       (prints the output files' names, one per line)
// The output depends only on the sources and the pinned esbuild and uPlot (package-lock.json):
// the same input gives the same bytes, so the server's ETags change only when a page does.
// Needs `npm ci` in web/ first.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const kWebDir = dirname(fileURLToPath(import.meta.url));
const kSourceDir = join(kWebDir, 'src');

// Every output file, and where it comes from. Nothing else is written.
const kOutputs = [
    { name: 'index.html', copy: 'sale/index.html' },
    { name: 'admin.html', copy: 'admin/admin.html' },
    { name: 'assets/sale.js', bundle: 'sale/main.js', format: 'esm' },
    { name: 'assets/pow-worker.js', bundle: 'sale/pow_worker.js', format: 'iife' },
    { name: 'assets/admin.js', bundle: 'admin/main.js', format: 'esm', noticeOf: 'uplot' },
    { name: 'assets/style.css', bundle: 'sale/style.css' },
    { name: 'assets/admin.css', bundle: 'admin/admin.css', noticeOf: 'uplot' },
];

// uPlot is MIT licensed: its copyright and permission notice travel with every copy. Its own
// header comment is not marked as legal, so minifying would drop it; the banner keeps it.
async function licenceBanner(packageName) {
    const licence = await readFile(join(kWebDir, 'node_modules', packageName, 'LICENSE'), 'utf8');
    const { version } = JSON.parse(
        await readFile(join(kWebDir, 'node_modules', packageName, 'package.json'), 'utf8'));
    const text = licence.trim().replaceAll('*/', '* /');
    return `/*! ${packageName} ${version}, bundled here:\n${text}\n*/`;
}

async function loadEsbuild() {
    try {
        return await import('esbuild');
    } catch {
        console.error(`esbuild is missing: run "npm ci" in ${kWebDir} first`);
        process.exit(2);
    }
}

// One bundle, minified, with no source map and no absolute paths, returned as bytes.
async function bundle(esbuild, output) {
    const banner = output.noticeOf ? await licenceBanner(output.noticeOf) : undefined;
    const result = await esbuild.build({
        entryPoints: [join(kSourceDir, output.bundle)],
        absWorkingDir: kWebDir,
        bundle: true,
        minify: true,
        format: output.format,
        target: ['chrome100', 'edge100', 'firefox100', 'safari15.4'],
        legalComments: 'eof',
        banner: banner && { js: banner, css: banner },
        charset: 'utf8',
        write: false,
        logLevel: 'warning',
    });
    return result.outputFiles[0].contents;
}

// An attribute or a CSS import that loads from another origin: src="//...", href="https://...".
const kExternalReference = new RegExp(
    String.raw`(?:src|href)\s*=\s*["']?(?:https?:)?//` + '|' +
    String.raw`@import\s+(?:url\(\s*)?["']?(?:https?:)?//`, 'i');

// External URLs would make the page depend on a third party at the opening second.
function checkNoExternalUrls(name, content) {
    const found = kExternalReference.exec(Buffer.from(content).toString('utf8'));
    if (found) throw new Error(`${name} refers to an external URL: ${found[0]}`);
}

async function build(outDir) {
    const esbuild = await loadEsbuild();
    const contents = await Promise.all(kOutputs.map((output) => output.copy
        ? readFile(join(kSourceDir, output.copy))
        : bundle(esbuild, output)));
    await mkdir(join(outDir, 'assets'), { recursive: true });
    for (const [i, output] of kOutputs.entries()) {
        checkNoExternalUrls(output.name, contents[i]);
        await writeFile(join(outDir, output.name), contents[i]);
    }
    await warnAboutStrangers(outDir);
    console.log(`flashsale web: wrote ${kOutputs.length} files to ${outDir}`);
}

// Files left from an older build would be embedded too; say so rather than delete them.
async function warnAboutStrangers(outDir) {
    const expected = new Set(kOutputs.map((output) => output.name));
    const found = [
        ...(await readdir(outDir)).filter((name) => name !== 'assets'),
        ...(await readdir(join(outDir, 'assets'))).map((name) => `assets/${name}`),
    ];
    for (const name of found.filter((name) => !expected.has(name))) {
        console.warn(`flashsale web: ${join(outDir, name)} is not one of the build's outputs`);
    }
}

const argument = process.argv[2];
if (argument === '--list') {
    for (const output of kOutputs) console.log(output.name);
} else if (!argument || argument.startsWith('-')) {
    console.error('usage: node build.mjs OUT_DIR | --list');
    process.exit(2);
} else {
    await build(resolve(argument));
}
