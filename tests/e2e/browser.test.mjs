// Browser tests of the sale page and the admin dashboard, in headless Chromium against a real
// flashsale server (FLASHSALE_BIN) that this file starts and stops. Run: see README.md.
//   1. a buyer waits for the opening, buys (solving the proof-of-work puzzle) and pays
//   2. a second buyer's page turns "sold out" by itself when the last unit goes
//   3. a buyer waits in the waiting room, watches the position fall, is admitted and buys
//   4. the dashboard shows a sale's numbers, draws its charts and pauses the sale
//   5. the sale page at phone size
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
    gotoPage, kArtifactsDir, launchBrowser, openPage, screenshot, sleep, waitForState,
} from './support/browser.mjs';
import { startServer } from './support/flashsale_server.mjs';

const kBinary = process.env.FLASHSALE_BIN;
const skip = !kBinary ? 'FLASHSALE_BIN is not set (the flashsale binary to test)' : false;
if (kBinary && !existsSync(kBinary)) throw new Error(`FLASHSALE_BIN=${kBinary} does not exist`);

const kScenario = { timeout: 40_000 }; // each scenario's bound; the run takes about 25 s

let browser;
before(async () => {
    if (!skip) browser = await launchBrowser();
});
after(async () => {
    await browser?.close();
    if (!skip) console.log(`screenshots in ${kArtifactsDir}`);
});

// Opens the sale page signed in as `user` (the token goes in the fragment, as a shop's link
// would put it).
async function openSalePage(server, saleId, user, contextOptions) {
    const page = await openPage(browser, contextOptions);
    await gotoPage(page, `${server.baseUrl}/sale/${saleId}#token=${server.jwtFor(user)}`);
    return page;
}

const textOf = (page, selector) => page.locator(selector).textContent();

function assertNoPageErrors(page) {
    assert.deepEqual(page.errors, [], 'uncaught errors in the page');
}

describe('sale page and dashboard', { skip }, () => {
    let server;
    before(async () => {
        server = await startServer({ binary: kBinary });
    });
    after(async () => {
        await server?.stop();
    });

    test('1. countdown, opening, reserve, pay', kScenario, async () => {
        const startsInMs = 5_000;
        const sale = await server.createSale({
            id: 'opening', name: 'Aurora Phone', stock: 10, startsInMs,
            require_token: true, pow_difficulty_bits: 8,
        });
        const startsAt = Date.parse(sale.starts_at);
        const page = await openPage(browser);
        const saleReads = [];
        page.on('request', (request) => {
            if (request.method() === 'GET' && request.url().endsWith('/api/v1/sales/opening')) {
                saleReads.push(Date.now());
            }
        });
        const jwt = server.jwtFor('alice');
        await gotoPage(page, `${server.baseUrl}/sale/opening#token=${jwt}`);

        await waitForState(page, 'upcoming');
        assert.match(await textOf(page, '#countdown'), /\d/, 'the countdown shows a time');
        assert.equal(await page.locator('#buy').isDisabled(), true, 'Buy is grey before the start');
        assert.equal(await textOf(page, '#sale-name'), 'Aurora Phone');
        assert.ok(!page.url().includes('token='), 'the token left the address bar');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('flashsale.jwt')), jwt);
        await screenshot(page, '1-1-before-start');
        const countdownBefore = await textOf(page, '#countdown');
        await page.waitForFunction(
            (before) => document.getElementById('countdown').textContent !== before,
            countdownBefore, { timeout: 3_000 })
            .catch(() => assert.fail(`the countdown stood still at ${countdownBefore}`));
        assert.ok(saleReads.length >= 3, `the clock is sampled 3-5 times (${saleReads.length})`);

        // The button turns on at the opening, not before (the page runs on this machine's
        // clock too, so the server's clock and the browser's agree here).
        const enabled = await page.waitForFunction(
            () => !document.getElementById('buy').disabled && Date.now(), null,
            { timeout: startsInMs + 5_000 });
        const enabledAt = await enabled.jsonValue();
        assert.ok(enabledAt >= startsAt - 250, `Buy enabled ${startsAt - enabledAt} ms early`);
        assert.ok(enabledAt <= startsAt + 2_000, `Buy enabled ${enabledAt - startsAt} ms late`);
        await waitForState(page, 'active');
        await screenshot(page, '1-2-open');

        // By keyboard: Enter on Buy, and the focus moves on to Pay.
        await page.locator('#buy').focus();
        await page.keyboard.press('Enter');
        await waitForState(page, 'reserved', 15_000);
        assert.match(await textOf(page, '#status'), /reserved/i);
        assert.equal(await page.locator('#pay').isVisible(), true);
        assert.match(await textOf(page, '#order-countdown'), /^\d+:\d\d$/);
        await page.waitForFunction(() => document.activeElement?.id === 'pay', null,
                                   { timeout: 2_000 })
            .catch(() => assert.fail('the keyboard focus did not move on to Pay'));
        await screenshot(page, '1-3-reserved');

        await page.keyboard.press('Enter');
        await waitForState(page, 'paid');
        assert.match(await textOf(page, '#status'), /paid/i);
        await screenshot(page, '1-4-paid');

        const stats = await server.admin('GET', '/sales/opening/stats');
        assert.equal(stats.body.paid, 1, 'the server has one paid order');
        assert.ok(stats.body.refusals.precondition_required >= 1, 'a puzzle was asked and solved');
        assertNoPageErrors(page);
        await page.context().close();
    });

    test('2. the page turns sold out without a reload', kScenario, async () => {
        await server.createSale({ id: 'last-one', name: 'Last unit', stock: 1 });
        const page = await openPage(browser);
        const soldOutFrames = [];
        page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => {
            if (/"type"\s*:\s*"sale"/.test(payload) && /"sold_out"/.test(payload)) {
                soldOutFrames.push(payload);
            }
        }));
        await gotoPage(page, `${server.baseUrl}/sale/last-one#token=${server.jwtFor('bob')}`);
        await waitForState(page, 'active');
        assert.equal(await textOf(page, '#remaining'), '1');
        assert.equal(await page.locator('#buy').isEnabled(), true);
        await page.waitForFunction(
            () => document.getElementById('connection').textContent.includes('Live'));
        await page.evaluate(() => {
            window.stillTheSameDocument = true;
        });
        await screenshot(page, '2-1-one-left');

        const bought = await server.purchase('last-one', 'carol');
        assert.equal(bought.status, 202, JSON.stringify(bought.body));

        await waitForState(page, 'sold_out', 8_000);
        assert.match(await textOf(page, '#status'), /Sold out/);
        assert.equal(await page.locator('#buy').isDisabled(), true);
        assert.equal(await textOf(page, '#remaining'), '0');
        assert.equal(await page.evaluate(() => window.stillTheSameDocument), true, 'no reload');
        assert.ok(soldOutFrames.length >= 1, 'the news came over the WebSocket');
        await screenshot(page, '2-2-sold-out');
        assertNoPageErrors(page);
        await page.context().close();
    });

    test('4. the dashboard shows the numbers and the charts', kScenario, async () => {
        await server.createSale({ id: 'dash', name: 'Dashboard item', stock: 5 });
        for (const user of ['erin', 'frank']) {
            const bought = await server.purchase('dash', user);
            assert.equal(bought.status, 202, JSON.stringify(bought.body));
        }
        const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
        await gotoPage(page, `${server.baseUrl}/admin#admin=${server.adminToken}`);
        const row = page.locator('#sales tr[data-sale="dash"]');
        await row.locator('.sold').filter({ hasText: /^2$/ }).waitFor();
        assert.equal(await row.locator('.remaining').textContent(), '3');
        assert.equal(await row.locator('.status').textContent(), 'active');
        assert.ok(!page.url().includes('admin='), 'the admin token left the address bar');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('flashsale.admin')),
                     server.adminToken);

        await page.locator('#charts canvas').first().waitFor();
        assert.ok(await page.locator('#charts canvas').count() >= 6, 'six charts');
        const width = await page.locator('#charts canvas').first().evaluate((c) => c.width);
        assert.ok(width > 100, `charts are drawn (${width} px wide)`);
        await page.locator('#chart-sale').selectOption('dash');
        await page.locator('.figure-sold').filter({ hasText: /^2$/ }).waitFor();
        await sleep(2_500); // a few points on the charts, for the screenshot
        await screenshot(page, '4-1-dashboard');

        await row.locator('button[data-action="pause"]').click();
        await row.locator('.status').filter({ hasText: /^paused$/ }).waitFor();
        await row.locator('button[data-action="start"]').click();
        await row.locator('.status').filter({ hasText: /^active$/ }).waitFor();
        assertNoPageErrors(page);
        await page.context().close();
    });

    test('5. the sale page on a phone', kScenario, async () => {
        await server.createSale({ id: 'phone-size', name: 'Nimbus Watch Series 4', stock: 20,
                                  startsInMs: 3_600_000 - 5_000 });
        const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
                        isMobile: true, hasTouch: true };
        const page = await openSalePage(server, 'phone-size', 'grace', phone);
        await waitForState(page, 'upcoming');
        const layout = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            buy: document.getElementById('buy').getBoundingClientRect().toJSON(),
        }));
        assert.ok(layout.scrollWidth <= 390, `no sideways scrolling (${layout.scrollWidth} px)`);
        assert.ok(layout.buy.height >= 44, `Buy is a large touch target (${layout.buy.height} px)`);
        assert.ok(layout.buy.width >= 300, `Buy spans the screen (${layout.buy.width} px)`);
        await screenshot(page, '5-1-phone');

        const signedOut = await openPage(browser, phone);
        await gotoPage(signedOut, `${server.baseUrl}/sale/phone-size`);
        await waitForState(signedOut, 'upcoming');
        assert.equal(await signedOut.locator('#sign-in').isVisible(), true, 'asks for a sign-in');
        await screenshot(signedOut, '5-2-phone-signed-out');
        assertNoPageErrors(page);
        assertNoPageErrors(signedOut);
        await page.context().close();
        await signedOut.context().close();
    });
});

describe('waiting room', { skip }, () => {
    let server;
    before(async () => {
        server = await startServer({ binary: kBinary, waitingRoom: true });
    });
    after(async () => {
        await server?.stop();
    });

    // A buyer in line keeps asking about its ticket, as the sale page does. Its answers do not
    // matter here (a failed ask must not hide the scenario's own failure).
    function holdPlaceInLine(user, ticket, stopped) {
        return (async () => {
            const deadline = Date.now() + 30_000;
            while (!stopped() && Date.now() < deadline) {
                await server.call('POST', '/api/v1/sales/queue/queue',
                                  { bearer: server.jwtFor(user), body: { ticket } })
                    .catch(() => {});
                await sleep(1_000);
            }
        })();
    }

    test('3. position falls, then admitted and reserved', kScenario, async () => {
        await server.createSale({ id: 'queue', name: 'Queued item', stock: 20,
                                  rate_limit_per_s: 1, rate_limit_burst: 1 });
        const sale = await server.call('GET', '/api/v1/sales/queue');
        assert.equal(sale.body.waiting_room, true, 'the sale has a waiting room');

        let stopped = false;
        const ahead = [];
        for (const user of ['q1', 'q2', 'q3', 'q4']) {
            const joined = await server.call('POST', '/api/v1/sales/queue/queue',
                                             { bearer: server.jwtFor(user), body: {} });
            assert.equal(joined.status, 200, JSON.stringify(joined.body));
            ahead.push(holdPlaceInLine(user, joined.body.ticket, () => stopped));
        }

        const page = await openSalePage(server, 'queue', 'dave');
        try {
            await waitForState(page, 'active');
            await page.locator('#buy').click();
            await waitForState(page, ['queued', 'reserved']);
            await screenshot(page, '3-1-queued');
            const positions = await watchQueuePosition(page, 25_000);
            await waitForState(page, 'reserved', 10_000);
            await screenshot(page, '3-2-admitted-reserved');

            const distinct = positions.filter((p, i) => i === 0 || p !== positions[i - 1]);
            assert.ok(distinct.length >= 2, `the position changed (${distinct.join(' -> ')})`);
            for (let i = 1; i < distinct.length; ++i) {
                assert.ok(distinct[i] < distinct[i - 1],
                          `the position only falls (${distinct.join(' -> ')})`);
            }
            assert.ok(await page.evaluate(() => sessionStorage.getItem('flashsale.queue.queue')),
                      'the ticket is kept in the tab');
            assertNoPageErrors(page);
        } finally {
            stopped = true;
            await Promise.all(ahead);
            await page.context().close();
        }
    });

    // The numbers #queue-position showed, every 200 ms, until the page leaves the line.
    async function watchQueuePosition(page, timeoutMs) {
        const positions = [];
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const { state, text } = await page.evaluate(() => ({
                state: document.body.dataset.state,
                text: document.getElementById('queue-position').textContent,
            }));
            if (state !== 'queued') return positions;
            const position = Number.parseInt(text, 10);
            if (Number.isFinite(position)) positions.push(position);
            await sleep(200);
        }
        throw new Error(`still in line after ${timeoutMs} ms (positions ${positions.join(', ')})`);
    }
});
