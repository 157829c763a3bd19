// Debian's Chromium, driven by playwright-core (from web/'s devDependencies): headless, in
// a fresh profile, quiet on the network, plus helpers the scenarios share.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const kChromium = process.env.FLASHSALE_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const kArtifactsDir = process.env.FLASHSALE_E2E_ARTIFACTS ?? join(tmpdir(), 'flashsale-e2e');

// chromium.launch() gives the browser a new, empty user-data-dir of its own and removes it
// on close.
export async function launchBrowser() {
    await mkdir(kArtifactsDir, { recursive: true });
    return chromium.launch({
        executablePath: kChromium,
        headless: true,
        timeout: 30_000,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

// A page in its own context (its own sessionStorage), remembering its uncaught errors.
export async function openPage(browser, contextOptions = {}) {
    const context = await browser.newContext({
        viewport: { width: 1024, height: 800 }, ...contextOptions,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.errors = [];
    page.on('pageerror', (error) => page.errors.push(error.message));
    return page;
}

// Loads `url` and checks that the server answered with a page, so that a server that does
// not serve the pages yet fails here with a clear reason rather than at a later wait.
export async function gotoPage(page, url) {
    const response = await page.goto(url);
    const type = response?.headers()['content-type'] ?? '';
    if (!response || response.status() !== 200 || !type.startsWith('text/html')) {
        const path = new URL(url).pathname;
        throw new Error(`GET ${path} answered ${response?.status()} ${type}, not the page`);
    }
    return response;
}

export async function screenshot(page, name) {
    // Transitions (the stock bar, the button's colour) are finished first, so that each picture
    // shows the state the step reached rather than a frame of the way there.
    await page.screenshot({ path: join(kArtifactsDir, `${name}.png`), fullPage: true,
                            animations: 'disabled' });
}

// Waits for <body data-state=...> to be one of `states`; resolves to the state reached.
export async function waitForState(page, states, timeoutMs = 10_000) {
    const wanted = [].concat(states);
    try {
        const handle = await page.waitForFunction(
            (list) => list.includes(document.body.dataset.state) && document.body.dataset.state,
            wanted, { timeout: timeoutMs });
        return handle.jsonValue();
    } catch (error) {
        const now = await page.evaluate(() => ({
            state: document.body.dataset.state,
            status: document.getElementById('status')?.textContent,
        })).catch(() => ({}));
        throw new Error(`page never reached ${wanted.join('|')} in ${timeoutMs} ms; it is ` +
                        `${now.state} ("${now.status}")`, { cause: error });
    }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
