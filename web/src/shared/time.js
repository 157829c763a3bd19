// Local time that only moves forward. Date.now() follows the device clock, which the user (or
// an NTP step) can change at any moment; performance.now() cannot go back, so every measured
// interval and every offset to the server's clock is taken on this one.
export function localNowMs() {
    return performance.timeOrigin + performance.now();
}
